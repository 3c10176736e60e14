using Dflare.Server.Access;
using Dflare.Server.Api.Agents;
using Dflare.Server.Api.Audit;
using Dflare.Server.Api.Identity;
using Dflare.Server.Api.Inventory;
using Dflare.Server.Api.Provisioning;
using Dflare.Server.Api.Operations;
using Dflare.Server.Api.Tenancy;
using Dflare.Server.Api.Metering;
using Dflare.Server.Api.Clusters;
using Dflare.Server.Api.Network;
using Dflare.Server.Api.Volumes;
using Dflare.Server.Portal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Prometheus;

namespace Dflare.Server.Hosting;

internal static class ServerPipeline
{
    public const string ApiPrefix = "/api/v1";

    public static void Configure(WebApplication app)
    {
        MetricsExport.EnsureConfigured();
        // A proxy on this host (a TLS terminator, or the portal calling the API for a browser) says who the client is
        // and how it came; only loopback is believed (ASP.NET's default known proxies), so a remote caller cannot.
        app.UseForwardedHeaders(new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto });
        app.UseMiddleware<CorrelationMiddleware>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAgentListenerOnly();
        app.UseRouting();
        app.UseHttpMetrics();
        app.UseMiddleware<AuditMiddleware>();
        app.UseAuthentication();
        // Before authorization, so that anonymous and refused callers are limited too (per address).
        app.UseRateLimiter();
        app.UseAuthorization();
        app.UseMiddleware<AuthorizationGate>();
        app.UseWorkflowRunGauges();

        app.MapHealth();
        app.MapMetrics("/metrics").AllowAnonymous();
        app.MapDflareOpenApi();

        var api = app.MapGroup(ApiPrefix).RequireAuthorization();
        api.MapTenancy();
        api.MapInventory();
        api.MapOperations();
        api.MapTenantOperations();
        api.MapAudit();
        api.MapVolumes();
        api.MapNetwork();
        api.MapClusters();
        api.MapMetering();
        var realm = api.MapGroup("/realms/{realm}").WithTags("Identity");
        realm.MapPrincipals();
        realm.MapAccessRules();
        realm.MapFederation();
        app.MapOidc();
        app.MapAgents();
        app.MapBoot();
        SimulationHosting.Map(app);
        app.MapPortal();
    }
}
