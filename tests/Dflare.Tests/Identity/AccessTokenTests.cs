using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Dflare.Core.Identity;
using Dflare.Server.Hosting;
using Dflare.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Dflare.Tests.Identity;

/// <summary>
/// Every way a bearer token can be wrong is refused with 401, each on its own: the tokens below are signed with the
/// realm's real key unless the point is the signature, so each test isolates the one check it names.
/// </summary>
public sealed class AccessTokenTests : IAsyncLifetime
{
    private const string Probe = "/api/v1/tenants/acme/projects";
    private IdentityWorld _world = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _world = await IdentityWorld.StartAsync();
        await _world.CreateTenantAsync("acme", "research");
        await _world.CreateTenantAsync("globex");
        await _world.CreateUserAsync("acme", "alice", BuiltInRoles.TenantAdmin);
        await _world.CreateUserAsync("globex", "gina", BuiltInRoles.TenantAdmin);
    }

    public async ValueTask DisposeAsync() => await _world.DisposeAsync();

    [Fact]
    public async Task AValidToken_IsAccepted_AndCarriesRealmTenantRolesAndTheApiAudience()
    {
        var token = await _world.AccessTokenAsync("acme", "alice");
        using var client = _world.ClientWith(token);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Probe, Ct)).StatusCode);
        var jwt = new JsonWebToken(token);
        Assert.Equal("at+jwt", jwt.Typ);
        Assert.Equal("RS256", jwt.Alg);
        Assert.Equal($"{Issuer("acme")}", jwt.Issuer);
        Assert.Equal(["dflare-api"], jwt.Audiences);
        Assert.Equal("acme", jwt.GetClaim("realm").Value);
        Assert.Equal("acme", jwt.GetClaim("tenant").Value);
        Assert.Equal("tenant-admin", jwt.GetClaim("roles").Value);
        Assert.Equal(TimeSpan.FromMinutes(10), jwt.ValidTo - jwt.IssuedAt);
    }

    [Fact]
    public async Task AlgNone_Is401()
    {
        var header = B64("""{"alg":"none","typ":"at+jwt"}""");
        var payload = B64((await ValidPayloadAsync()).ToJsonString());
        await AssertRefusedAsync($"{header}.{payload}.");
    }

    [Fact]
    public async Task Hs256SignedWithTheRealmsRsaPublicKey_Is401()
    {
        // The classic confusion attack: the public key, as published, used as an HMAC secret.
        var rsa = (RsaSecurityKey)(await SigningAsync("acme")).Key;
        var spki = Encoding.ASCII.GetBytes(rsa.Rsa.ExportSubjectPublicKeyInfoPem());
        var modulus = rsa.Rsa.ExportParameters(false).Modulus!;
        foreach (var secret in new[] { spki, modulus })
        {
            var header = B64($$"""{"alg":"HS256","typ":"at+jwt","kid":"{{rsa.KeyId}}"}""");
            var payload = B64((await ValidPayloadAsync()).ToJsonString());
            var signature = Base64UrlEncoder.Encode(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes($"{header}.{payload}")));
            await AssertRefusedAsync($"{header}.{payload}.{signature}");
        }
    }

    [Fact]
    public async Task AWrongIssuer_Is401() =>
        await AssertRefusedAsync(await ForgeAsync(c => c["iss"] = "https://idp.example.com/realms/acme"));

    [Fact]
    public async Task AnotherRealmsIssuer_Is401()
    {
        // Signed by acme's key but claiming to come from globex: globex's keys do not verify it.
        await AssertRefusedAsync(await ForgeAsync(c => c["iss"] = Issuer("globex")));
        // And the realm claim must agree with the issuer.
        await AssertRefusedAsync(await ForgeAsync(c => c["realm"] = "globex"));
    }

    [Fact]
    public async Task AWrongAudience_Is401() => await AssertRefusedAsync(await ForgeAsync(c => c["aud"] = "kubernetes"));

    [Fact]
    public async Task ExpiredBeyondTheSkew_Is401_ButWithinTheSkew_IsAccepted()
    {
        var now = DateTimeOffset.UtcNow;
        await AssertRefusedAsync(await ForgeAsync(c => Times(c, now.AddMinutes(-11), now.AddSeconds(-40))));
        var withinSkew = await ForgeAsync(c => Times(c, now.AddMinutes(-10), now.AddSeconds(-15)));
        using var client = _world.ClientWith(withinSkew);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Probe, Ct)).StatusCode);
    }

    [Fact]
    public async Task NotYetValid_Is401()
    {
        var now = DateTimeOffset.UtcNow;
        await AssertRefusedAsync(await ForgeAsync(c =>
        {
            Times(c, now.AddMinutes(2), now.AddMinutes(12));
            c["iat"] = now.ToUnixTimeSeconds();
        }));
    }

    [Fact]
    public async Task AnUnknownKeyId_Is401()
    {
        using var stranger = RSA.Create(2048);
        var credentials = new SigningCredentials(new RsaSecurityKey(stranger) { KeyId = "not-a-key-of-ours" }, SecurityAlgorithms.RsaSha256);
        await AssertRefusedAsync(await ForgeAsync(_ => { }, credentials));
    }

    [Fact]
    public async Task ATamperedPayload_Is401()
    {
        var token = await _world.AccessTokenAsync("acme", "alice");
        var parts = token.Split('.');
        var payload = JsonNode.Parse(Base64UrlEncoder.Decode(parts[1]))!;
        payload["roles"] = new JsonArray("platform-admin");
        payload["realm"] = "platform";
        await AssertRefusedAsync($"{parts[0]}.{B64(payload.ToJsonString())}.{parts[2]}");
    }

    [Fact]
    public async Task TheAcceptedAlgorithms_ArePinnedToRs256()
    {
        Assert.Equal(["RS256"], AccessTokenValidator.AcceptedAlgorithms);
        var discovery = await (await _world.Server.Anonymous.GetAsync("/realms/acme/.well-known/openid-configuration", Ct)).ReadAsync();
        Assert.Equal(["RS256"], discovery["id_token_signing_alg_values_supported"]!.AsArray().Select(a => (string)a!));
        // The realm's own key, with any other RSA algorithm, is refused.
        var key = (await SigningAsync("acme")).Key;
        foreach (var algorithm in new[] { SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512, SecurityAlgorithms.RsaSsaPssSha256 })
        {
            await AssertRefusedAsync(await ForgeAsync(_ => { }, new SigningCredentials(key, algorithm)));
        }
    }

    [Fact]
    public async Task ATokenOfAnotherType_Is401()
    {
        // An ID token or any other JWT signed by the realm is not an access token (RFC 9068 §4).
        await AssertRefusedAsync(await ForgeAsync(_ => { }, type: "JWT"));
    }

    [Fact]
    public async Task RotatedKeys_KeepOldTokensValid_SignNewOnesWithTheNewKey_AndBothArePublished()
    {
        var before = await _world.AccessTokenAsync("acme", "alice");
        var rotated = await _world.Admin.PostAsync("/api/v1/realms/acme/keys/rotate", null, Ct);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var newKid = (string)(await rotated.ReadAsync())["keyId"]!;
        var after = await _world.AccessTokenAsync("acme", "alice");

        Assert.NotEqual(new JsonWebToken(before).Kid, new JsonWebToken(after).Kid);
        Assert.Equal(newKid, new JsonWebToken(after).Kid);
        foreach (var token in new[] { before, after })
        {
            using var client = _world.ClientWith(token);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Probe, Ct)).StatusCode);
        }
        var jwks = await (await _world.Server.Anonymous.GetAsync("/realms/acme/protocol/openid-connect/certs", Ct)).ReadAsync();
        var kids = jwks["keys"]!.AsArray().Select(k => (string)k!["kid"]!).ToList();
        Assert.Contains(new JsonWebToken(before).Kid, kids);
        Assert.Contains(newKid, kids);
        Assert.All(jwks["keys"]!.AsArray(), k => Assert.Null(k!["d"])); // never the private half
    }

    [Fact]
    public async Task ARevokedRefreshToken_IsRefused()
    {
        var tokens = await _world.PasswordGrantAsync("acme", "alice");
        var refresh = (string)tokens["refresh_token"]!;
        var revoked = await _world.Server.Anonymous.PostAsync("/realms/acme/protocol/openid-connect/revoke",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = refresh }), Ct);
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);

        var response = await _world.TokenAsync("acme", new() { ["grant_type"] = "refresh_token", ["client_id"] = "dflare-cli", ["refresh_token"] = refresh });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_grant", (string)(await response.ReadAsync())["error"]!);
    }

    [Fact]
    public async Task RefreshTokens_Rotate_AndReplayingASpentOne_RevokesTheWholeFamily()
    {
        var first = (string)(await _world.PasswordGrantAsync("acme", "alice"))["refresh_token"]!;
        var refreshed = await _world.TokenAsync("acme", new() { ["grant_type"] = "refresh_token", ["client_id"] = "dflare-cli", ["refresh_token"] = first });
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        var second = (string)(await refreshed.ReadAsync())["refresh_token"]!;
        Assert.NotEqual(first, second);

        var replay = await _world.TokenAsync("acme", new() { ["grant_type"] = "refresh_token", ["client_id"] = "dflare-cli", ["refresh_token"] = first });
        Assert.Equal("invalid_grant", (string)(await replay.ReadAsync())["error"]!);
        var afterReplay = await _world.TokenAsync("acme", new() { ["grant_type"] = "refresh_token", ["client_id"] = "dflare-cli", ["refresh_token"] = second });
        Assert.Equal(HttpStatusCode.BadRequest, afterReplay.StatusCode);
        Assert.Equal("invalid_grant", (string)(await afterReplay.ReadAsync())["error"]!);
    }

    [Fact]
    public async Task ARefreshToken_IsBoundToItsClient_AndTwoRacingUses_YieldOneNewToken()
    {
        var refresh = (string)(await _world.PasswordGrantAsync("acme", "alice"))["refresh_token"]!;
        var otherClient = await _world.TokenAsync("acme", new() { ["grant_type"] = "refresh_token", ["client_id"] = "dflare-portal", ["refresh_token"] = refresh });
        Assert.Equal("invalid_grant", (string)(await otherClient.ReadAsync())["error"]!);

        var form = new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["client_id"] = "dflare-cli", ["refresh_token"] = refresh };
        var racing = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => _world.TokenAsync("acme", new(form))));
        Assert.True(racing.Count(r => r.StatusCode == HttpStatusCode.OK) <= 1, string.Join(", ", racing.Select(r => r.StatusCode)));
    }

    [Fact]
    public async Task ADeletedTenantsRealm_GoesWithIt_AndATenantOfTheSameNameStartsEmpty()
    {
        await _world.CreateTenantAsync("initech");
        await _world.CreateUserAsync("initech", "peter", BuiltInRoles.TenantAdmin);
        var refresh = (string)(await _world.PasswordGrantAsync("initech", "peter"))["refresh_token"]!;
        Assert.Equal(HttpStatusCode.NoContent, (await _world.Admin.DeleteAsync("/api/v1/tenants/initech", Ct)).StatusCode);
        await _world.CreateTenantAsync("initech");

        var password = await _world.TokenAsync("initech", new() { ["grant_type"] = "password", ["client_id"] = "dflare-cli", ["username"] = "peter", ["password"] = IdentityWorld.Password });
        Assert.Equal(HttpStatusCode.BadRequest, password.StatusCode);
        var refreshed = await _world.TokenAsync("initech", new() { ["grant_type"] = "refresh_token", ["client_id"] = "dflare-cli", ["refresh_token"] = refresh });
        Assert.Equal("invalid_grant", (string)(await refreshed.ReadAsync())["error"]!);
        var users = await (await _world.Admin.GetAsync("/api/v1/realms/initech/users", Ct)).ReadAsync();
        Assert.Empty(users["items"]!.AsArray());
    }

    [Fact]
    public async Task ARefreshTokenOfAnotherRealm_IsRefused()
    {
        var refresh = (string)(await _world.PasswordGrantAsync("acme", "alice"))["refresh_token"]!;
        var response = await _world.TokenAsync("globex", new() { ["grant_type"] = "refresh_token", ["client_id"] = "dflare-cli", ["refresh_token"] = refresh });
        Assert.Equal("invalid_grant", (string)(await response.ReadAsync())["error"]!);
    }

    [Fact]
    public async Task WrongPasswordsAndUnknownUsers_GetTheSameAnswer()
    {
        var wrong = await _world.TokenAsync("acme", new() { ["grant_type"] = "password", ["client_id"] = "dflare-cli", ["username"] = "alice", ["password"] = "not the password" });
        var unknown = await _world.TokenAsync("acme", new() { ["grant_type"] = "password", ["client_id"] = "dflare-cli", ["username"] = "mallory", ["password"] = "not the password" });
        var otherRealm = await _world.TokenAsync("globex", new() { ["grant_type"] = "password", ["client_id"] = "dflare-cli", ["username"] = "alice", ["password"] = IdentityWorld.Password });
        foreach (var response in new[] { wrong, unknown, otherRealm })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("The user name or password is wrong.", (string)(await response.ReadAsync())["error_description"]!);
        }
    }

    [Fact]
    public async Task ServiceAccounts_SignInWithClientCredentials_AndAWrongSecretIs401()
    {
        var created = await (await _world.Admin.PostAsync("/api/v1/realms/acme/service-accounts", Json.Body("""{"name":"ci"}"""), Ct)).ReadAsync();
        var secret = (string)created["clientSecret"]!;
        await _world.BindAsync("acme", "ci-viewer", "ServiceAccount", "ci", BuiltInRoles.Viewer);

        var good = await _world.TokenAsync("acme", new() { ["grant_type"] = "client_credentials", ["client_id"] = "ci", ["client_secret"] = secret });
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        var body = await good.ReadAsync();
        Assert.Null(body["refresh_token"]);
        using var client = _world.ClientWith((string)body["access_token"]!);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Probe, Ct)).StatusCode);

        var bad = await _world.TokenAsync("acme", new() { ["grant_type"] = "client_credentials", ["client_id"] = "ci", ["client_secret"] = secret + "x" });
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        Assert.Equal("invalid_client", (string)(await bad.ReadAsync())["error"]!);
    }

    [Fact]
    public async Task AnAccessTokenLifetimeAboveSixtyMinutes_IsRefusedAtStart()
    {
        var store = StoreTarget.Sqlite();
        try
        {
            var error = await Assert.ThrowsAsync<ConfigurationException>(() => DflareServer.StartAsync([], new Dictionary<string, string?>
            {
                ["Server:Urls"] = "http://127.0.0.1:0", ["Agents:Url"] = "https://127.0.0.1:0", ["Simulation:Enabled"] = "false",
                ["Identity:AccessTokenMinutes"] = "61", ["Identity:ClockSkewSeconds"] = "31",
                ["Store:DataDirectory"] = store.Settings["Store:DataDirectory"],
            }, null, Ct));
            Assert.Contains(error.Errors, e => e.Contains("Identity:AccessTokenMinutes must be from 1 to 60", StringComparison.Ordinal));
            Assert.Contains(error.Errors, e => e.Contains("Identity:ClockSkewSeconds must be from 0 to 30", StringComparison.Ordinal));
        }
        finally
        {
            await store.DisposeAsync();
        }
    }

    private string Issuer(string realm) => $"{_world.Server.Server.BaseAddress.ToString().TrimEnd('/')}/realms/{realm}";

    private async Task<SigningCredentials> SigningAsync(string realm) =>
        await _world.Server.Server.App.Services.GetRequiredService<RealmKeys>().SigningCredentialsAsync(realm, Ct);

    private async Task<JsonObject> ValidPayloadAsync() =>
        JsonNode.Parse(Base64UrlEncoder.Decode((await _world.AccessTokenAsync("acme", "alice")).Split('.')[1]))!.AsObject();

    /// <summary>alice's real claims, changed by <paramref name="change"/>, signed by acme's key unless told otherwise.</summary>
    private async Task<string> ForgeAsync(Action<Dictionary<string, object>> change, SigningCredentials? credentials = null, string type = "at+jwt")
    {
        var payload = await ValidPayloadAsync();
        var claims = payload.ToDictionary(p => p.Key, p => Plain(p.Value!));
        change(claims);
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        return handler.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = type, Claims = claims, SigningCredentials = credentials ?? await SigningAsync("acme"),
        });
    }

    private static object Plain(JsonNode node) => node switch
    {
        JsonArray array => array.Select(a => (string)a!).ToList(),
        JsonValue value when value.TryGetValue<long>(out var number) => number,
        _ => (string)node!,
    };

    private static void Times(Dictionary<string, object> claims, DateTimeOffset notBefore, DateTimeOffset expires)
    {
        claims["nbf"] = notBefore.ToUnixTimeSeconds();
        claims["iat"] = notBefore.ToUnixTimeSeconds();
        claims["exp"] = expires.ToUnixTimeSeconds();
    }

    private async Task AssertRefusedAsync(string token)
    {
        using var client = _world.ClientWith(token);
        var response = await client.GetAsync(Probe, Ct);
        await response.AssertProblemAsync(401, "unauthenticated");
    }

    private static string B64(string json) => Base64UrlEncoder.Encode(json);
}
