using Dflare.Core.Identity;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Dflare.Server.Access;

/// <summary>
/// Appends every mutating API request and every denial (401, 403, and the 404 that hides another tenant's object)
/// to the audit log, with who, what, the permission, the decision and the status. The machine protocols (agents,
/// boot) are not user actions and are not audited here.
/// </summary>
internal sealed partial class AuditMiddleware(RequestDelegate next, AuditLog audit, ILogger<AuditMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var failed = false;
        try
        {
            await next(http);
        }
        catch
        {
            failed = true; // the exception handler outside answers 500; the attempt is recorded all the same
            throw;
        }
        finally
        {
            await RecordAsync(http, failed);
        }
    }

    private async Task RecordAsync(HttpContext http, bool failed)
    {
        var path = http.Request.Path;
        if (!path.StartsWithSegments("/api") && !path.StartsWithSegments("/realms"))
        {
            return;
        }
        var gate = http.Items[AuthorizationGate.DecisionKey] as GateDecision;
        var status = failed ? StatusCodes.Status500InternalServerError : http.Response.StatusCode;
        var signIn = path.StartsWithSegments("/realms");
        var denied = status is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden or StatusCodes.Status429TooManyRequests
            || gate?.Decision.Allowed == false || (signIn && status >= 400);
        var mutating = !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method) && !HttpMethods.IsOptions(http.Request.Method);
        if (!denied && !mutating)
        {
            return;
        }
        var subject = http.User.Identity?.IsAuthenticated == true ? AccessSubject.From(http.User) : null;
        // A probe of another tenant's object belongs to the prober's log, not the target's: the target must not learn
        // who probed it, and nobody can write into another tenant's log.
        var tenant = gate is { Decision.HideExistence: true } ? subject?.Tenant
            : gate?.Request.Tenant ?? subject?.Tenant ?? (signIn ? RealmTenant(http) : null);
        var record = new AuditRecord(
            tenant,
            subject?.Actor ?? "anonymous",
            $"{http.Request.Method} {path}",
            gate?.Request.Permission,
            denied ? "denied" : "allowed",
            status,
            gate?.Decision.Reason,
            http.TraceIdentifier);
        try
        {
            await audit.AppendAsync(record, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogAuditFailed(logger, ex, record.Action, status);
        }
    }

    /// <summary>Sign-ins at a tenant realm's endpoints belong to that tenant's log.</summary>
    private static string? RealmTenant(HttpContext http) =>
        http.Request.RouteValues["realm"] is string realm ? Realms.TenantOf(realm) : null;

    [LoggerMessage(1, LogLevel.Error, "The audit entry for {Action} ({Status}) could not be written")]
    private static partial void LogAuditFailed(ILogger logger, Exception exception, string action, int status);
}
