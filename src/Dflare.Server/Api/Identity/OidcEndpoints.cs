using Dflare.Core.Identity;
using Dflare.Persistence.Identity;
using Dflare.Persistence.Store;
using Dflare.Server.Api.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Dflare.Server.Api.Identity;

/// <summary>
/// Each realm as an OpenID Connect issuer at <c>/realms/{realm}</c>: discovery, JWKS, the token endpoint (client
/// credentials, password, refresh token, device code), device authorization (RFC 8628) and revocation (RFC 7009).
/// Paths follow Keycloak's, so tools that know it find their way.
/// </summary>
public static class OidcEndpoints
{
    public const string Protocol = "protocol/openid-connect";
    /// <summary>The public clients: the terminal (<c>dflare login</c>) and the portal.</summary>
    public static readonly IReadOnlySet<string> PublicClients = new HashSet<string>(StringComparer.Ordinal) { "dflare-cli", "dflare-portal" };

    private static readonly string[] AuthMethods = ["client_secret_post", "client_secret_basic", "none"];
    private static readonly string[] ResponseTypes = ["code"];
    private static readonly string[] CodeChallengeMethods = ["S256"];
    private static readonly string[] SubjectTypes = ["public"];
    private static readonly string[] Claims =
    [
        "sub", "iss", "aud", "exp", "iat", "nbf", "jti", AccessSubject.RealmClaim, AccessSubject.TenantClaim, AccessSubject.RolesClaim,
        AccessSubject.ProjectsClaim, AccessSubject.GroupsClaim, AccessSubject.NameClaim,
    ];

    public static void MapOidc(this IEndpointRouteBuilder app)
    {
        var realm = app.MapGroup("/realms/{realm}").AllowAnonymous().WithTags("Identity");
        realm.MapGet("/.well-known/openid-configuration", DiscoveryAsync).WithName("openidConfiguration")
            .WithSummary("The realm's OpenID Provider metadata.");
        realm.MapGet($"/{Protocol}/certs", JwksAsync).WithName("realmJwks")
            .WithSummary("The realm's signing keys (JWKS); a rotated key stays here until its last token expires.");
        realm.MapPost($"/{Protocol}/token", TokenGrants.TokenAsync).WithName("realmToken").DisableAntiforgery()
            .WithSummary("Token endpoint: client_credentials, password, refresh_token, authorization_code (with PKCE) and urn:ietf:params:oauth:grant-type:device_code.");
        realm.MapPost($"/{Protocol}/auth/device", DeviceFlow.AuthorizeAsync).WithName("realmDeviceAuthorization").DisableAntiforgery()
            .WithSummary("RFC 8628 device authorization: a device code for the terminal, a user code for its user.");
        realm.MapPost($"/{Protocol}/revoke", RevokeAsync).WithName("realmRevoke").DisableAntiforgery()
            .WithSummary("RFC 7009: revoke a refresh token (and every token refreshed from the same sign-in).");
        realm.MapGet($"/{Protocol}/auth", AuthorizationCodeFlow.PageAsync).WithName("realmAuthorization").ExcludeFromDescription();
        realm.MapPost($"/{Protocol}/auth", AuthorizationCodeFlow.SignInAsync).WithName("realmAuthorizationSignIn").DisableAntiforgery().ExcludeFromDescription();
        realm.MapGet($"/{Protocol}/userinfo", UserInfo).WithName("realmUserInfo")
            .WithSummary("OpenID Connect UserInfo: who the bearer token (issued by this realm) speaks for — name, kind, tenant, groups and roles.");
        realm.MapGet("/device", (Func<string, HttpContext, IResult>)DeviceFlow.Page).WithName("realmDevicePage").ExcludeFromDescription();
        realm.MapPost("/device", DeviceFlow.ApproveAsync).WithName("realmDeviceApprove").DisableAntiforgery().ExcludeFromDescription();
    }

    private static async Task<IResult> DiscoveryAsync(string realm, DflareDbContext db, IssuerAddress issuer, CancellationToken cancellationToken)
    {
        if (!await RealmDirectory.ExistsAsync(db, realm, cancellationToken))
        {
            return Problem.NotFound("Realm", realm);
        }
        var iss = issuer.For(realm);
        return TypedResults.Ok(new Dictionary<string, object>
        {
            ["issuer"] = iss,
            ["jwks_uri"] = $"{iss}/{Protocol}/certs",
            ["authorization_endpoint"] = $"{iss}/{Protocol}/auth",
            ["token_endpoint"] = $"{iss}/{Protocol}/token",
            ["device_authorization_endpoint"] = $"{iss}/{Protocol}/auth/device",
            ["revocation_endpoint"] = $"{iss}/{Protocol}/revoke",
            ["userinfo_endpoint"] = $"{iss}/{Protocol}/userinfo",
            ["grant_types_supported"] = TokenGrants.Supported,
            ["token_endpoint_auth_methods_supported"] = AuthMethods,
            ["id_token_signing_alg_values_supported"] = AccessTokenValidator.AcceptedAlgorithms,
            ["response_types_supported"] = ResponseTypes,
            ["code_challenge_methods_supported"] = CodeChallengeMethods,
            ["subject_types_supported"] = SubjectTypes,
            ["claims_supported"] = Claims,
        });
    }

    /// <summary>OpenID Connect Core §5.3. The route is anonymous so that a missing or foreign token gets the OAuth
    /// answer (401 <c>invalid_token</c>) rather than a problem document; the token is still checked, and must be this realm's.</summary>
    private static IResult UserInfo(string realm, HttpContext http)
    {
        if (AccessSubject.From(http.User) is not { } subject || subject.Realm != realm)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            return OAuthError.Of("invalid_token", $"Send a valid access token issued by realm '{realm}'.", StatusCodes.Status401Unauthorized);
        }
        return TypedResults.Json(new Dictionary<string, object?>
        {
            [AccessSubject.SubjectClaim] = subject.Id, [AccessSubject.NameClaim] = subject.Name, [AccessSubject.RealmClaim] = subject.Realm,
            [AccessSubject.TenantClaim] = subject.Tenant, [AccessSubject.KindClaim] = subject.Kind, [AccessSubject.GroupsClaim] = subject.Groups,
            [AccessSubject.RolesClaim] = subject.Roles.Select(r => r.ToString()).ToList(),
        });
    }

    private static async Task<IResult> JwksAsync(string realm, DflareDbContext db, RealmKeys keys, CancellationToken cancellationToken)
    {
        if (!await RealmDirectory.ExistsAsync(db, realm, cancellationToken))
        {
            return Problem.NotFound("Realm", realm);
        }
        var published = await keys.PublishedAsync(realm, null, cancellationToken);
        if (published.Count == 0)
        {
            // A realm that has not signed anything yet still has a key to show.
            await keys.SigningCredentialsAsync(realm, cancellationToken);
            published = await keys.PublishedAsync(realm, null, cancellationToken);
        }
        var jwks = published.Select(k =>
        {
            var p = k.Rsa.ExportParameters(includePrivateParameters: false);
            return new Dictionary<string, string>
            {
                ["kty"] = "RSA", ["use"] = "sig", ["alg"] = RealmKeys.Algorithm, ["kid"] = k.KeyId,
                ["n"] = Base64UrlEncoder.Encode(p.Modulus), ["e"] = Base64UrlEncoder.Encode(p.Exponent),
            };
        });
        return TypedResults.Ok(new { keys = jwks });
    }

    private static async Task<IResult> RevokeAsync(string realm, HttpContext http, TokenService tokens, CancellationToken cancellationToken)
    {
        if (!http.Request.HasFormContentType)
        {
            return OAuthError.Of("invalid_request", "Send the token as application/x-www-form-urlencoded.");
        }
        var form = await http.Request.ReadFormAsync(cancellationToken);
        if (form["token"].ToString() is not { Length: > 0 } token)
        {
            return OAuthError.Of("invalid_request", "token is required.");
        }
        await tokens.RevokeAsync(realm, token, cancellationToken);
        return TypedResults.Ok();
    }

    internal static IOptions<IdentityOptions> Options(HttpContext http) =>
        http.RequestServices.GetRequiredService<IOptions<IdentityOptions>>();
}
