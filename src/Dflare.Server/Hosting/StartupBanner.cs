using Dflare.Persistence.Store;

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
              API            {baseUrl}{ServerPipeline.ApiPrefix}
              API reference  {baseUrl}{OpenApiSetup.ReferencePath}
              OpenAPI        {baseUrl}/openapi/v1.json
              Health         {baseUrl}/healthz   {baseUrl}/readyz
              Metrics        {baseUrl}/metrics
              Store          {storeText}
            """);
        if (server.GeneratedAdminCredential is { } credential)
        {
            output.WriteLine($"""
                  Admin credential (shown once, stored hashed):
                    {credential}
                  Try: curl -H "Authorization: Bearer {credential}" {baseUrl}{ServerPipeline.ApiPrefix}/tenants
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
