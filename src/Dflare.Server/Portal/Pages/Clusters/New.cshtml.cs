using System.Text.Json.Nodes;
using Dflare.Client.Api;
using Microsoft.AspNetCore.Mvc;

namespace Dflare.Server.Portal.Pages.Clusters;

/// <summary>
/// A cluster from a form: the fields become the same spec <c>dflare apply</c> sends, and the API's refusals are shown
/// next to the fields they name (the rest above the form).
/// </summary>
public sealed class NewModel : PortalPage
{
    private static readonly Dictionary<string, string> FieldOf = new(StringComparer.Ordinal)
    {
        ["metadata.name"] = "name", ["spec.project"] = "project", ["spec.pools[0].sku"] = "sku", ["spec.pools[0].count"] = "count",
        ["spec.kubernetes.version"] = "version",
    };

    public override string Section => "clusters";

    [BindProperty]
    public ClusterForm Input { get; set; } = new();

    public IReadOnlyList<string> Projects { get; private set; } = [];

    public Dictionary<string, string> FieldErrors { get; } = new(StringComparer.Ordinal);

    public List<string> OtherErrors { get; } = [];

    public async Task OnGetAsync() => await LoadProjectsAsync();

    public async Task<IActionResult> OnPostAsync()
    {
        if (Tenant is null)
        {
            return RedirectToPage();
        }
        try
        {
            await Session.Api.CreateAsync($"tenants/{Tenant}/clusters", Input.ToSpec(), Guid.NewGuid().ToString(), HttpContext.RequestAborted);
        }
        catch (DflareApiException ex) when (ex.Status is 400 or 404 or 409 or 422)
        {
            foreach (var error in ex.Problem.Errors)
            {
                if (FieldOf.TryGetValue(error.Field, out var field))
                {
                    FieldErrors.TryAdd(field, error.Message);
                }
                else
                {
                    OtherErrors.Add(error.Message);
                }
            }
            if (ex.Problem.Errors.Count == 0)
            {
                OtherErrors.Add($"{ex.Problem.Detail ?? ex.Problem.Title} ({ex.Code})");
            }
            Response.StatusCode = ex.Status;
            await LoadProjectsAsync();
            return Page();
        }
        return Redirect($"{PortalServices.Root}/clusters/{Uri.EscapeDataString(Input.Name ?? "")}");
    }

    private async Task LoadProjectsAsync()
    {
        var projects = await PortalLists.AllAsync(Session, Tenant is null ? null : $"tenants/{Tenant}/projects", HttpContext.RequestAborted);
        Projects = [.. projects.Select(p => Fields.Text(p, "metadata.name"))];
    }
}

/// <summary>What the form asks; <see cref="ToSpec"/> makes the cluster spec of it.</summary>
public sealed class ClusterForm
{
    public string? Name { get; set; }

    public string? Project { get; set; }

    public string Type { get; set; } = "slurm";

    public string Version { get; set; } = "1.34";

    public string? Sku { get; set; } = "hgx-h100-8";

    public int Count { get; set; } = 2;

    public string? Placement { get; set; }

    public JsonObject ToSpec()
    {
        var pool = new JsonObject { ["name"] = "gpu", ["sku"] = Sku, ["count"] = Count };
        if (Placement is { Length: > 0 } placement)
        {
            pool["placement"] = new JsonObject { [placement] = true };
        }
        var spec = new JsonObject { ["project"] = Project, ["type"] = Type, ["pools"] = new JsonArray(pool) };
        if (Type.Contains("kubernetes", StringComparison.Ordinal))
        {
            spec["kubernetes"] = new JsonObject { ["version"] = Version };
        }
        return new JsonObject { ["apiVersion"] = "dflare.ai/v1", ["kind"] = "Cluster", ["metadata"] = new JsonObject { ["name"] = Name }, ["spec"] = spec };
    }
}
