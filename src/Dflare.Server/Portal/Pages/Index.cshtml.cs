using Microsoft.AspNetCore.Mvc;

namespace Dflare.Server.Portal.Pages;

/// <summary>The portal's front door: operators land on the fleet, tenants on their clusters.</summary>
public sealed class IndexModel : PortalPage
{
    public override string Section => "";

    public IActionResult OnGet() => Redirect(Session.IsOperator ? PortalServices.Root + "/fleet" : PortalServices.Root + "/clusters");
}
