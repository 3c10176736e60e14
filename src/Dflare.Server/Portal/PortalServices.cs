using Dflare.Core.Secrets;
using Dflare.Persistence.Store;
using Dflare.Server.Hosting;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dflare.Server.Portal;

/// <summary>
/// The portal: Razor Pages under <c>/portal</c> (docs/portal.md says why server-rendered pages), signed in through a
/// realm with the authorization code flow, reading and writing through the public API as the signed-in person.
/// </summary>
public static class PortalServices
{
    public const string ClientId = "dflare-portal";
    public const string Policy = "portal";
    public const string ApiClient = "dflare-portal-api";
    public const string Root = "/portal";

    public static IServiceCollection AddDflarePortal(this IServiceCollection services)
    {
        services.AddRazorPages(o =>
        {
            o.RootDirectory = "/Portal/Pages";
            o.Conventions.AuthorizeFolder("/", Policy);
            o.Conventions.AllowAnonymousToPage("/SignIn");
            o.Conventions.AllowAnonymousToPage("/SignInCallback");
        }).AddApplicationPart(typeof(PortalServices).Assembly);
        services.AddAuthentication().AddCookie(PortalSession.Scheme, o =>
        {
            o.Cookie.Name = "dflare_portal";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Cookie.Path = Root;
            o.LoginPath = Root + "/signin";
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
            o.SlidingExpiration = true;
        });
        services.AddAuthorizationBuilder().AddPolicy(Policy, p => p.AddAuthenticationSchemes(PortalSession.Scheme).RequireAuthenticatedUser());
        services.AddDataProtection().SetApplicationName("dflare");
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(o => o.XmlRepository = new StoreKeyRepository(
            () => StoreContexts.Create(sp.GetRequiredService<IOptions<StoreOptions>>().Value), sp.GetRequiredService<SecretProtector>, sp.GetRequiredService<TimeProvider>())));
        // The portal calls the API on this very server, on its own listener.
        services.AddSingleton<PortalTokenRefresher>();
        services.AddHttpClient(ApiClient, (sp, http) => http.BaseAddress = new Uri(ProvisioningServices.FirstListenerAddress(sp).TrimEnd('/') + "/"));
        return services;
    }

    /// <summary>A client for the API on this server that says whose browser it calls for (X-Forwarded-For, believed
    /// from loopback only), so the API's rate limits and <c>request.ip</c> policies see the person's address.</summary>
    internal static HttpClient ApiFor(HttpContext http)
    {
        var client = http.RequestServices.GetRequiredService<IHttpClientFactory>().CreateClient(ApiClient);
        if (http.Connection.RemoteIpAddress is { } address)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("X-Forwarded-For", address.ToString());
        }
        return client;
    }

    public static void MapPortal(this WebApplication app)
    {
        app.MapRazorPages();
        app.MapGet("/", () => Results.Redirect(Root + "/")).AllowAnonymous().ExcludeFromDescription();
        app.MapGet(Root + "/assets/{file}", (string file) => PortalAssets.Serve(file)).AllowAnonymous().ExcludeFromDescription();
    }
}

/// <summary>The portal's stylesheet and script, embedded in the assembly (no static-file folder to ship or lose).</summary>
internal static class PortalAssets
{
    private static readonly Dictionary<string, (byte[] Bytes, string Type)> Files = Load();

    public static IResult Serve(string file) => Files.TryGetValue(file, out var asset)
        ? Results.Bytes(asset.Bytes, asset.Type)
        : Results.NotFound();

    private static Dictionary<string, (byte[], string)> Load()
    {
        var assembly = typeof(PortalAssets).Assembly;
        var files = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("portal/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var file = name["portal/".Length..];
            files[file] = (copy.ToArray(), file.EndsWith(".css", StringComparison.Ordinal) ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8");
        }
        return files;
    }
}
