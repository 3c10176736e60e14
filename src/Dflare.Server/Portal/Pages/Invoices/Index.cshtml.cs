using System.Text.Json.Nodes;

namespace Dflare.Server.Portal.Pages.Invoices;

/// <summary>The tenant's invoices by month.</summary>
public sealed class IndexModel : PortalPage
{
    public override string Section => "invoices";

    public IReadOnlyList<JsonObject> Invoices { get; private set; } = [];

    public async Task OnGetAsync()
    {
        if (Tenant is not null)
        {
            var answer = (await Session.Api.SendAsync(HttpMethod.Get, $"tenants/{Tenant}/invoices", null, null, HttpContext.RequestAborted)).Body as JsonArray ?? [];
            Invoices = [.. answer.OfType<JsonObject>()];
        }
    }
}
