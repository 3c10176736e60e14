using Dflare.Cli.Commands;
using Dflare.Client.Api;
using Dflare.Client.Identity;

namespace Dflare.Cli.Config;

/// <summary>
/// Everything a command needs to talk to the server: the client, signed in as the context says, and the tenant that
/// tenant-owned objects default to. Flags win over <c>DFLARE_*</c> variables, which win over the current context, so
/// a script can run with <c>DFLARE_SERVER</c> and <c>DFLARE_TOKEN</c> and no configuration at all.
/// </summary>
public sealed class Session(DflareClient client, string? contextName, CliContext context)
{
    public DflareClient Client => client;

    public string? ContextName => contextName;

    public CliContext Context => context;

    /// <summary>The tenant for a tenant-owned object, or a usage error that says how to give one.</summary>
    public string Tenant(string? flag) => flag ?? context.Tenant
        ?? throw new CliException(ExitCodes.Usage, "No tenant: pass --tenant NAME, or set one on the context (dflare config set-context --tenant NAME).");

    public static Session Open(CliConsole console, GlobalOptions options)
    {
        var store = new ConfigStore(ConfigStore.DefaultDirectory(console.Environment));
        var config = store.Load();
        var name = options.Context ?? console.Variable("DFLARE_CONTEXT") ?? config.CurrentContext;
        CliContext? context = null;
        if (name is not null && !config.Contexts.TryGetValue(name, out context) && (options.Context ?? console.Variable("DFLARE_CONTEXT")) is not null)
        {
            throw new CliException(ExitCodes.Usage, $"There is no context '{name}'; see dflare config get-contexts.");
        }
        var server = options.Server ?? console.Variable("DFLARE_SERVER") ?? context?.Server
            ?? throw new CliException(ExitCodes.Unauthorized, "Not signed in: run dflare login --server URL (or set DFLARE_SERVER and DFLARE_TOKEN).");
        var realm = context?.Realm ?? "platform";
        var tenant = options.Tenant ?? console.Variable("DFLARE_TENANT") ?? context?.Tenant;
        var effective = new CliContext(server, realm, tenant);

        var http = new HttpClient { BaseAddress = ServerAddress(server), Timeout = TimeSpan.FromSeconds(100) };
        http.DefaultRequestHeaders.UserAgent.ParseAdd($"dflare/{typeof(Session).Assembly.GetName().Version?.ToString(3) ?? "0"}");
        // A context's saved credential goes only to that context's server: --server elsewhere needs DFLARE_TOKEN.
        var ownServer = context is not null && ServerAddress(server) == ServerAddress(context.Server);
        ICredential? credential = console.Variable("DFLARE_TOKEN") is { } token
            ? new StaticCredential(token)
            : name is null || !ownServer ? null : Credential(store, name, context!, console.Time);
        return new Session(new DflareClient(http, credential, console.Time), name, effective);
    }

    public static Uri ServerAddress(string server)
    {
        if (!Uri.TryCreate(server.Contains("://", StringComparison.Ordinal) ? server : "http://" + server, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new CliException(ExitCodes.Usage, $"'{server}' is not a server address; give one such as http://127.0.0.1:5080.");
        }
        return new Uri(uri.GetLeftPart(UriPartial.Authority) + "/");
    }

    public static Uri Issuer(Uri server, string realm) => new(server, $"realms/{realm}");

    private static ICredential? Credential(ConfigStore store, string name, CliContext context, TimeProvider time)
    {
        var stored = store.LoadCredential(name);
        var issuer = Issuer(ServerAddress(context.Server), context.Realm);
        return stored switch
        {
            null => null,
            { Token: { } token } => new StaticCredential(token),
            { ClientId: { } id, ClientSecret: { } secret } => new ClientCredentials(issuer, id, secret, time),
            { AccessToken: { } access } => new RefreshingCredential(issuer, LoginCommand.PublicClient,
                new TokenSet(access, stored.RefreshToken, stored.ExpiresAt ?? DateTimeOffset.MinValue),
                (tokens, _) =>
                {
                    store.SaveCredential(name, new StoredCredential(tokens.AccessToken, tokens.RefreshToken, tokens.ExpiresAt));
                    return Task.CompletedTask;
                }, time),
            _ => null,
        };
    }
}

/// <summary>Flags every command takes.</summary>
public sealed record GlobalOptions(string? Context, string? Server, string? Tenant);
