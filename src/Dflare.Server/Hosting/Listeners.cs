using System.Net;
using System.Net.Security;
using Dflare.Core.Provisioning.Agents;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Server.Hosting;

/// <summary>The agent listener once bound: which port it took and how nodes reach it.</summary>
public sealed class AgentListener
{
    internal ListenOptions? Options { get; set; }

    internal string? Advertised { get; set; }

    public int Port => Options?.IPEndPoint?.Port ?? throw new InvalidOperationException("The agent listener is not bound.");

    /// <summary>What nodes are told to connect to (cloud-init's agent configuration).</summary>
    public Uri Address => new(Advertised ?? $"https://{FormatHost(Options!.IPEndPoint!.Address)}:{Port}");

    private static string FormatHost(IPAddress address) =>
        address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) ? Dns.GetHostName()
        : address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
}

/// <summary>
/// Kestrel's endpoints: the API on <c>Server:Urls</c>, and the agent listener on <c>Agents:Url</c> — HTTPS with a
/// certificate from the agent CA that asks every client for its certificate, which the agent authentication checks.
/// </summary>
internal static class Listeners
{
    public static void Configure(WebApplicationBuilder builder)
    {
        var urls = builder.Configuration[$"{ServerOptions.SectionName}:{nameof(ServerOptions.Urls)}"] ?? new ServerOptions().Urls;
        var agents = builder.Configuration.GetSection(AgentOptions.SectionName).Get<AgentOptions>() ?? new AgentOptions();
        var listener = new AgentListener { Advertised = agents.AdvertisedUrl };
        builder.Services.AddSingleton(listener);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Invalid addresses are reported by the options validators before Kestrel starts; skip them here.
            foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (TryParse(url, out var address))
                {
                    Listen(kestrel, address, listen =>
                    {
                        if (address.Scheme == "https")
                        {
                            listen.UseHttps();
                        }
                    });
                }
            }
            if (TryParse(agents.Url, out var agentAddress))
            {
                Listen(kestrel, agentAddress, listen =>
                {
                    listener.Options = listen;
                    var ca = kestrel.ApplicationServices.GetRequiredService<AgentCertificateAuthority>();
                    string[] names = agents.AdvertisedUrl is { } advertised ? [new Uri(advertised).Host] : [];
                    listen.UseHttps(new TlsHandshakeCallbackOptions
                    {
                        OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions
                        {
                            ServerCertificateContext = ca.ServerCertificateContext(names),
                            // Asked for, not required: the bootstrap call has none yet. Checked per request by the
                            // agent authentication, which also knows revocations.
                            ClientCertificateRequired = true,
                            CertificateChainPolicy = ca.ClientChainPolicy(),
#pragma warning disable CA5359 // a client's certificate, not a server's: checked per request (see below)
                            RemoteCertificateValidationCallback = DeferClientCertificateCheck,
#pragma warning restore CA5359
                        }),
                    });
                });
            }
        });
    }

    /// <summary>The handshake takes any client certificate, or none: whether it is a valid agent certificate (chain to
    /// the agent CA, client usage, validity, revocation, current serial) is decided per request by
    /// <c>AgentCertificateAuthentication</c>, which can answer a problem document instead of a broken handshake.</summary>
    private static bool DeferClientCertificateCheck(object sender, System.Security.Cryptography.X509Certificates.X509Certificate? certificate,
        System.Security.Cryptography.X509Certificates.X509Chain? chain, SslPolicyErrors errors) => true;

    public static bool TryParse(string url, out Uri address)
    {
        var normalized = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
        return Uri.TryCreate(normalized, UriKind.Absolute, out address!) && address.Scheme is "http" or "https"
            && (address.IsLoopback || address.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6);
    }

    private static void Listen(KestrelServerOptions kestrel, Uri address, Action<ListenOptions> configure)
    {
        var port = address.Port;
        if (address.Host == "localhost")
        {
            if (port == 0)
            {
                kestrel.Listen(IPAddress.Loopback, 0, configure);
            }
            else
            {
                kestrel.ListenLocalhost(port, configure);
            }
        }
        else
        {
            kestrel.Listen(IPAddress.Parse(address.Host.Trim('[', ']')), port, configure);
        }
    }
}
