using Dflare.Core.Workflows;
using Dflare.Persistence.Store;
using Dflare.Persistence.Workflows;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Server.Hosting;

/// <summary>Sets <c>dflare_workflow_runs{state}</c> from the store just before each scrape, so the gauge is the
/// store's truth (all replicas' runs), not one process's view.</summary>
internal static class WorkflowMetrics
{
    public static void UseWorkflowRunGauges(this WebApplication app) =>
        app.UseWhen(http => http.Request.Path == "/metrics", branch => branch.Use(async (http, next) =>
        {
            await using (var scope = http.RequestServices.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<DflareDbContext>();
                try
                {
                    var counts = await WorkflowClient.CountByStateAsync(db, http.RequestAborted);
                    foreach (var state in Enum.GetValues<RunState>())
                    {
                        WorkflowInstruments.RunsByState.WithLabels(state.ToString()).Set(counts.GetValueOrDefault(state));
                    }
                }
                catch (System.Data.Common.DbException)
                {
                    // An unreachable store must not break the scrape; /readyz reports it.
                }
            }
            await next(http);
        }));
}
