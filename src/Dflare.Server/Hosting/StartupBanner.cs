using Dflare.Persistence.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Server.Hosting;

/// <summary>What a newcomer needs after the first command: where everything is, and the credential once.</summary>
internal static class StartupBanner
{
    public static void Write(TextWriter output, DflareServer server, StoreOptions store)
    {
        var baseUrl = server.BaseAddress.ToString().TrimEnd('/');
        var storeText = store.Provider == StoreProvider.Sqlite ? $"SQLite at {store.SqlitePath}" : "PostgreSQL";
        output.WriteLine($"""

            Dflare control plane is running.
              Portal         {baseUrl}/portal/
              API            {baseUrl}{ServerPipeline.ApiPrefix}
              API reference  {baseUrl}{OpenApiSetup.ReferencePath}
              OpenAPI        {baseUrl}/openapi/v1.json
              Health         {baseUrl}/healthz   {baseUrl}/readyz
              Metrics        {baseUrl}/metrics
              Agents (mTLS)  {server.AgentAddress.ToString().TrimEnd('/')}
              Store          {storeText}
            """);
        if (server.App.Services.GetRequiredService<SimulationHost>().Datacenter is { } datacenter)
        {
            var topology = datacenter.Topology;
            output.WriteLine($"""
                  Simulated datacenter: {topology.NodeCount} nodes in {topology.Sites.Sum(s => s.Racks)} racks, {datacenter.Nodes.Sum(n => n.Bmc.Gpus.Count)} GPUs; they provision themselves now.
                    Watch them: {baseUrl}{ServerPipeline.ApiPrefix}/nodes?state=Ready   (a bigger fleet: --Simulation:Topology=examples/topologies/four-racks.json)
                """);
        }
        if (server.GeneratedAdminCredential is { } credential)
        {
            output.WriteLine($"""
                  Admin credential (shown once, stored hashed):
                    {credential}
                  Sign in: the portal (paste it under "With an API credential"), or the CLI (scripts/install-cli.sh puts dflare on PATH):
                    dflare login --server {baseUrl} --token {credential}
                  Or: curl -H "Authorization: Bearer {credential}" {baseUrl}{ServerPipeline.ApiPrefix}/tenants
                """);
        }
        else
        {
            output.WriteLine("  Admin credential was shown on first start; `dflare-server rotate-admin-credential` issues a new one.");
        }
        output.WriteLine("Press Ctrl+C to stop.");
        output.Flush();
    }
}
