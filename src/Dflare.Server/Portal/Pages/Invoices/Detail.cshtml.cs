using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;

namespace Dflare.Server.Portal.Pages.Invoices;

/// <summary>One month's invoice, line by line, and its CSV.</summary>
public sealed class DetailModel : PortalPage
{
    public override string Section => "invoices";

    [FromRoute]
    public string Period { get; set; } = "";

    public JsonObject? Invoice { get; private set; }

    public async Task OnGetAsync()
    {
        if (Tenant is not null)
        {
            Invoice = await Session.Api.GetAsync($"tenants/{Tenant}/invoices/{Uri.EscapeDataString(Period)}", HttpContext.RequestAborted);
        }
    }

    public async Task<IActionResult> OnGetCsvAsync()
    {
        var csv = await Session.Api.GetTextAsync($"tenants/{Tenant}/invoices/{Uri.EscapeDataString(Period)}?format=csv", HttpContext.RequestAborted);
        return File(System.Text.Encoding.UTF8.GetBytes(csv), "text/csv", $"invoice-{Tenant}-{Period}.csv");
    }
}
