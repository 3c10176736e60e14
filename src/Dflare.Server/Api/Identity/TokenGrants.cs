using System.Security.Cryptography;
using System.Text;
using Dflare.Core.Identity;
using Dflare.Persistence.Identity;
using Dflare.Persistence.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Server.Api.Identity;

/// <summary>The token endpoint's grants. Tokens are answered with <c>Cache-Control: no-store</c> (RFC 6749 §5.1).</summary>
internal static class TokenGrants
{
    public static readonly IReadOnlyList<string> Supported = ["client_credentials", "password", "refresh_token", DeviceFlow.GrantType, AuthorizationCodeFlow.GrantType];


    public static async Task<IResult> TokenAsync(string realm, HttpContext http, DflareDbContext db, TokenService tokens, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!http.Request.HasFormContentType)
        {
            return OAuthError.Of("invalid_request", "Send the request as application/x-www-form-urlencoded.");
        }
        if (!await RealmDirectory.ExistsAsync(db, realm, cancellationToken))
        {
            return OAuthError.Of("invalid_request", $"There is no realm '{realm}'.", StatusCodes.Status404NotFound);
        }
        var form = await http.Request.ReadFormAsync(cancellationToken);
        http.Response.Headers.CacheControl = "no-store";
        try
        {
            var (clientId, clientSecret) = ClientCredentials(http, form);
            var response = form["grant_type"].ToString() switch
            {
                "client_credentials" => await ClientCredentialsAsync(db, tokens, realm, clientId, clientSecret, cancellationToken),
                "password" => await PasswordAsync(db, tokens, http.RequestServices.GetRequiredService<PasswordHasher>(), realm, clientId, form["username"].ToString(), form["password"].ToString(), cancellationToken),
                "refresh_token" => await tokens.RefreshAsync(realm, clientId, Required(form, "refresh_token"), cancellationToken),
                AuthorizationCodeFlow.GrantType => await AuthorizationCodeFlow.RedeemAsync(db, tokens, time, realm, PublicClient(clientId), form, cancellationToken),
                DeviceFlow.GrantType => await DeviceFlow.RedeemAsync(db, tokens, time, realm, PublicClient(clientId), Required(form, "device_code"), OidcEndpoints.Options(http).Value, cancellationToken),
                "" => throw new GrantException("invalid_request", "grant_type is required."),
                var other => throw new GrantException("unsupported_grant_type", $"'{other}' is not supported here; use one of {string.Join(", ", Supported)}."),
            };
            var body = new Dictionary<string, object>
            {
                ["access_token"] = response.AccessToken, ["token_type"] = "Bearer", ["expires_in"] = response.ExpiresIn, ["scope"] = response.Scope,
            };
            if (response.RefreshToken is not null)
            {
                body["refresh_token"] = response.RefreshToken;
            }
            return TypedResults.Json(body);
        }
        catch (GrantException ex)
        {
            return ex.Error == "invalid_client" ? OAuthError.InvalidClient(ex.Message) : OAuthError.Of(ex.Error, ex.Message);
        }
    }

    private static async Task<TokenResponse> ClientCredentialsAsync(
        DflareDbContext db, TokenService tokens, string realm, string? clientId, string? clientSecret, CancellationToken cancellationToken)
    {
        if (clientId is null || clientSecret is null)
        {
            throw new GrantException("invalid_client", "client_id and client_secret are required (in the body or HTTP Basic).");
        }
        var account = await db.Principals.AsNoTracking()
            .FirstOrDefaultAsync(p => p.Realm == realm && p.Kind == PrincipalKinds.ServiceAccount && p.Name == clientId, cancellationToken);
        var presented = Encoding.ASCII.GetBytes(TokenService.HashSecret(clientSecret));
        if (account is null || account.Disabled || account.SecretHash is null
            || !CryptographicOperations.FixedTimeEquals(presented, Encoding.ASCII.GetBytes(account.SecretHash)))
        {
            throw new GrantException("invalid_client", "The client is not known to this realm, or its secret is wrong.");
        }
        return await tokens.IssueAsync(account, clientId, withRefreshToken: false, family: null, cancellationToken);
    }

    private static async Task<TokenResponse> PasswordAsync(
        DflareDbContext db, TokenService tokens, PasswordHasher hasher, string realm, string? clientId, string username, string password, CancellationToken cancellationToken)
    {
        var client = PublicClient(clientId);
        if (username.Length == 0 || password.Length == 0)
        {
            throw new GrantException("invalid_request", "username and password are required.");
        }
        var user = await UserAsync(db, hasher, realm, username, password, cancellationToken)
            ?? throw new GrantException("invalid_grant", "The user name or password is wrong.");
        return await tokens.IssueAsync(user, client, withRefreshToken: true, family: null, cancellationToken);
    }

    /// <summary>The realm's enabled local user with this name and password, or null; always costs one hash.</summary>
    public static async Task<PrincipalRow?> UserAsync(DflareDbContext db, PasswordHasher hasher, string realm, string username, string password, CancellationToken cancellationToken)
    {
        var user = await db.Principals.AsNoTracking()
            .FirstOrDefaultAsync(p => p.Realm == realm && p.Kind == PrincipalKinds.User && p.Name == username, cancellationToken);
        var matches = PasswordHasher.Verify(password, user?.SecretHash ?? hasher.DecoyHash);
        return matches && user is { Disabled: false, SecretHash: not null } ? user : null;
    }

    public static string PublicClient(string? clientId) =>
        clientId is not null && OidcEndpoints.PublicClients.Contains(clientId)
            ? clientId
            : throw new GrantException("invalid_client", $"This grant is for the public clients ({string.Join(", ", OidcEndpoints.PublicClients)}).");

    private static string Required(IFormCollection form, string field) =>
        form[field].ToString() is { Length: > 0 } value ? value : throw new GrantException("invalid_request", $"{field} is required.");

    private static (string? Id, string? Secret) ClientCredentials(HttpContext http, IFormCollection form)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
                var colon = decoded.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    return (Uri.UnescapeDataString(decoded[..colon]), Uri.UnescapeDataString(decoded[(colon + 1)..]));
                }
            }
            catch (FormatException)
            {
                throw new GrantException("invalid_client", "The Basic credentials cannot be read.");
            }
        }
        return (NullIfEmpty(form["client_id"].ToString()), NullIfEmpty(form["client_secret"].ToString()));
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
