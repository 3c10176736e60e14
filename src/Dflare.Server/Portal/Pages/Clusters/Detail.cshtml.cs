using System.Text.Json.Nodes;
using Dflare.Client.Api;
using Dflare.Client.Operations;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Dflare.Server.Portal.Pages.Clusters;

/// <summary>One cluster: its phase and the live progress of its operation, nodes, volumes, access; delete.</summary>
public sealed class DetailModel : PortalPage
{
    public override string Section => "clusters";

    [FromRoute]
    public string Name { get; set; } = "";

    public JsonObject? Cluster { get; private set; }

    public ClusterProgress? Progress { get; private set; }

    public JsonObject? Access { get; private set; }

    /// <summary>Set when the page is shown right after a delete: a cluster already gone is then news, not an error.</summary>
    public bool Deleting { get; private set; }

    public async Task OnGetAsync(bool deleting)
    {
        if (Tenant is null)
        {
            return;
        }
        Deleting = deleting;
        Progress = await ClusterProgress.LoadAsync(Session, Tenant, Name, HttpContext.RequestAborted);
        Cluster = Progress.Cluster;
        if (Cluster is null && !deleting)
        {
            Problem = new ApiProblem(StatusCodes.Status404NotFound, "not-found", "Cluster not found.", $"Cluster '{Name}' does not exist.", [], null);
            Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        if (Fields.Text(Cluster, "status.phase") == "Operational")
        {
            Access = await Session.Api.GetAsync($"tenants/{Tenant}/clusters/{Uri.EscapeDataString(Name)}/access", HttpContext.RequestAborted);
        }
    }

    public async Task<IActionResult> OnGetKubeconfigAsync()
    {
        var access = await Session.Api.GetAsync($"tenants/{Tenant}/clusters/{Uri.EscapeDataString(Name)}/access", HttpContext.RequestAborted);
        return File(System.Text.Encoding.UTF8.GetBytes(Fields.Text(access, "kubeconfig")), "application/yaml", $"{Name}.kubeconfig");
    }

    public async Task<IActionResult> OnPostDeleteAsync(string? confirm)
    {
        if (confirm == "yes" && Tenant is not null)
        {
            await Session.Api.DeleteAsync($"tenants/{Tenant}/clusters/{Uri.EscapeDataString(Name)}", HttpContext.RequestAborted);
        }
        return Redirect($"{PortalServices.Root}/clusters/{Uri.EscapeDataString(Name)}?deleting=true{(Session.IsOperator ? $"&tenant={Tenant}" : "")}");
    }
}

/// <summary>A cluster's phase and its current operation's steps, for the page and for the live fragment.</summary>
public sealed record ClusterProgress(string Name, JsonObject? Cluster, OperationView? Operation)
{
    public string Phase => Cluster is null ? "Deleted" : Fields.Text(Cluster, "status.phase");

    public string Reason => Fields.Text(Cluster, "status.reason");

    /// <summary>Nothing more will change without a new request: the fragment stops polling.</summary>
    public bool Settled => Cluster is null || ((Operation?.IsFinished ?? true) && Phase is "Operational" or "Failed");

    public static async Task<ClusterProgress> LoadAsync(PortalSession session, string tenant, string name, CancellationToken cancellationToken)
    {
        JsonObject cluster;
        try
        {
            cluster = await session.Api.GetAsync($"tenants/{tenant}/clusters/{Uri.EscapeDataString(name)}", cancellationToken);
        }
        catch (DflareApiException ex) when (ex.Status == 404 && ex.Problem.Detail?.Contains($"'{name}'", StringComparison.Ordinal) == true)
        {
            return new ClusterProgress(name, null, null);
        }
        var id = Fields.Text(cluster, "status.operation");
        var operation = id.Length == 0 ? null : OperationView.From(await session.Api.GetAsync($"tenants/{tenant}/operations/{id}", cancellationToken));
        return new ClusterProgress(name, cluster, operation);
    }
}
