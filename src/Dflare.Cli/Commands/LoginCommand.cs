using System.CommandLine;
using Dflare.Cli.Config;
using Dflare.Client.Api;
using Dflare.Client.Identity;

namespace Dflare.Cli.Commands;

/// <summary>
/// <c>dflare login</c>: signs in to a realm and saves the result as a context (made current). A person signs in with
/// the device flow (open the page it prints, enter the code); a service account with <c>--client-id</c> and
/// <c>--client-secret</c>; an operator may paste the bootstrap credential with <c>--token</c>. The credential is
/// checked against the realm before anything is saved.
/// </summary>
public static class LoginCommand
{
    public const string PublicClient = "dflare-cli";

    public static Command Build(CliConsole console)
    {
        var realm = new Option<string?>("--realm", "-r") { Description = "The realm to sign in to: a tenant's name, or platform for operators (default: the context's, else platform)." };
        var name = new Option<string?>("--name") { Description = "The context to save the sign-in as (default: the realm's name)." };
        var token = new Option<string?>("--token") { Description = "Use this token as it is (the bootstrap credential) instead of signing in." };
        var clientId = new Option<string?>("--client-id") { Description = "A service account's name, for the client-credentials grant." };
        var clientSecret = new Option<string?>("--client-secret") { Description = "The service account's secret (or set DFLARE_CLIENT_SECRET)." };
        var command = new Command("login", "Sign in to a realm and save it as the current context.") { realm, name, token, clientId, clientSecret };
        command.SetAction((parse, ct) => Guarded.RunAsync(console, async () =>
        {
            var store = new ConfigStore(ConfigStore.DefaultDirectory(console.Environment));
            var config = store.Load();
            var current = config.CurrentContext is { } c && config.Contexts.TryGetValue(c, out var ctx) ? ctx : null;
            var server = parse.GetValue(GlobalFlags.Server) ?? console.Variable("DFLARE_SERVER") ?? current?.Server ?? "http://127.0.0.1:5080";
            var realmName = parse.GetValue(realm) ?? current?.Realm ?? "platform";
            var contextName = parse.GetValue(name) ?? parse.GetValue(GlobalFlags.Context) ?? realmName;
            var tenant = parse.GetValue(GlobalFlags.Tenant) ?? (realmName == "platform" ? current?.Tenant : realmName);
            var address = Session.ServerAddress(server);
            var issuer = Session.Issuer(address, realmName);
            using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(100) };

            StoredCredential stored;
            ICredential credential;
            if ((parse.GetValue(token) ?? console.Variable("DFLARE_TOKEN")) is { } given)
            {
                stored = new StoredCredential(Token: given);
                credential = new StaticCredential(given);
            }
            else if (parse.GetValue(clientId) is { } id)
            {
                var secret = parse.GetValue(clientSecret) ?? console.Variable("DFLARE_CLIENT_SECRET")
                    ?? throw new CliException(ExitCodes.Usage, "--client-id needs --client-secret (or DFLARE_CLIENT_SECRET).");
                stored = new StoredCredential(ClientId: id, ClientSecret: secret);
                credential = new ClientCredentials(issuer, id, secret, console.Time);
            }
            else
            {
                SignIn signIn;
                try
                {
                    signIn = await new DeviceLogin(http, console.Time).RunAsync(issuer, PublicClient, console.Out, ct);
                }
                catch (SignInException ex)
                {
                    throw new CliException(ExitCodes.Unauthorized, $"sign-in refused: {ex.Message}");
                }
                var tokens = TokenSet.From(signIn, console.Time.GetUtcNow());
                stored = new StoredCredential(tokens.AccessToken, tokens.RefreshToken, tokens.ExpiresAt);
                credential = new StaticCredential(tokens.AccessToken);
            }

            var who = await UserInfo.ReadAsync(new DflareClient(http, credential, console.Time), realmName, ct);
            config.Contexts[contextName] = new CliContext(address.ToString().TrimEnd('/'), realmName, tenant ?? who.Tenant);
            store.Save(config with { CurrentContext = contextName });
            store.SaveCredential(contextName, stored);
            await console.Out.WriteLineAsync($"Signed in to {address.ToString().TrimEnd('/')} as {who.Realm}/{who.Name} ({string.Join(", ", who.Roles.DefaultIfEmpty("no roles"))}); context '{contextName}' is current.");
            return ExitCodes.Ok;
        }));
        return command;
    }
}

/// <summary><c>dflare logout</c>: revokes the context's refresh token at the realm and forgets its credential.</summary>
public static class LogoutCommand
{
    public static Command Build(CliConsole console)
    {
        var command = new Command("logout", "Sign out of the current context (its refresh token is revoked) and forget its credential.");
        command.SetAction((parse, ct) => Guarded.RunAsync(console, async () =>
        {
            var store = new ConfigStore(ConfigStore.DefaultDirectory(console.Environment));
            var config = store.Load();
            var name = parse.GetValue(GlobalFlags.Context) ?? console.Variable("DFLARE_CONTEXT") ?? config.CurrentContext
                ?? throw new CliException(ExitCodes.Usage, "No context to sign out of.");
            if (!config.Contexts.TryGetValue(name, out var context))
            {
                throw new CliException(ExitCodes.NotFound, $"There is no context '{name}'.");
            }
            if (store.LoadCredential(name) is { RefreshToken: { } refresh })
            {
                using var http = new HttpClient { BaseAddress = Session.ServerAddress(context.Server) };
                using var revoked = await http.PostAsync(new Uri(Session.Issuer(http.BaseAddress, context.Realm) + "/protocol/openid-connect/revoke"),
                    new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = refresh, ["client_id"] = LoginCommand.PublicClient }), ct);
            }
            store.DeleteCredential(name);
            await console.Out.WriteLineAsync($"Signed out of context '{name}'.");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
