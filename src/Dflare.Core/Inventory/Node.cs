using Dflare.Core.Resources;
using Dflare.Core.Secrets;
using Dflare.Core.Tenancy;
using Dflare.Persistence.Inventory;
using Dflare.Persistence.Store;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Inventory;

/// <summary>A bare-metal node, enrolled by an operator. Its state is observed, and moved only by workflow steps.</summary>
public sealed record Node : IResource
{
    public const string KindName = "Node";

    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    public ObjectMeta? Metadata { get; init; }

    public NodeSpec? Spec { get; init; }

    /// <summary>Observed; ignored on writes.</summary>
    public NodeStatus? Status { get; init; }
}

public sealed record NodeSpec
{
    /// <summary>The rack it stands in. Required; must exist.</summary>
    public string? Rack { get; init; }

    /// <summary>Its model. Required; must exist.</summary>
    public string? Sku { get; init; }

    /// <summary>Position in the rack, in rack units (1 to 64).</summary>
    public int? RackUnit { get; init; }

    public NodeBmc? Bmc { get; init; }

    /// <summary>The golden image to provision; leave it out for the catalog default (<c>Provisioning:DefaultImage</c>).</summary>
    public string? Image { get; init; }
}

/// <summary>How to reach the node's BMC. The password is write-only: it is sealed at rest and never read back.</summary>
public sealed record NodeBmc
{
    /// <summary>E.g. <c>https://10.0.12.7</c>, or <c>sim://bmc/{id}</c> in the simulated datacenter. Required.</summary>
    public string? Address { get; init; }

    public string? Username { get; init; }

    /// <summary>Required on enrolment; on update, leave it out to keep the current one.</summary>
    public string? Password { get; init; }
}

public sealed record NodeStatus
{
    public required string State { get; init; }

    /// <summary>Why the node is in its state, when that needs saying (a failure's reason).</summary>
    public string? Reason { get; init; }

    /// <summary>GPUs found by inspection, with serial numbers.</summary>
    public IReadOnlyList<NodeGpuStatus> Gpus { get; init; } = [];

    /// <summary>What the node agent reports; absent until one registered.</summary>
    public NodeAgentStatus? Agent { get; init; }
}

public sealed record NodeGpuStatus(int Index, string Slot, string Model, string SerialNumber);

/// <summary>The agent's view: <c>Health</c> is Green, Degraded, Unreachable (missed heartbeats) or Unknown.</summary>
public sealed record NodeAgentStatus(
    string Health, string? HealthReason, DateTimeOffset? RegisteredAt, DateTimeOffset? LastHeartbeatAt, string? Version,
    DateTimeOffset? CertificateNotAfter, bool Revoked);

/// <param name="secrets">Resolved on first use: building the key ring reads configuration that is validated first.</param>
public sealed class NodeKind(Func<SecretProtector> secrets) : IResourceKind<Node, NodeRow, PlatformScope>
{
    public const string BmcPasswordPurpose = "node-bmc-password";

    public string Kind => Node.KindName;

    public string DependentsExplanation => "other objects still refer to it";

    public IReadOnlyList<string> ReferenceFields => ["spec.rack", "spec.sku", "spec.image"];

    public IReadOnlyList<string> ListFilters => ["state", "sku", "rack"];

    public (IQueryable<NodeRow> Rows, string? BadParameter, string? Error) Filter(IQueryable<NodeRow> rows, IReadOnlyDictionary<string, string> filters)
    {
        if (filters.TryGetValue("state", out var state))
        {
            if (!Enum.TryParse<NodeState>(state, ignoreCase: false, out var parsed) || !Enum.IsDefined(parsed))
            {
                return (rows, "state", $"'state' must be one of {string.Join(", ", Enum.GetNames<NodeState>())}; it is '{state}'.");
            }
            var name = parsed.ToString();
            rows = rows.Where(n => n.State == name);
        }
        if (filters.TryGetValue("sku", out var sku))
        {
            rows = rows.Where(n => n.Sku == sku);
        }
        if (filters.TryGetValue("rack", out var rack))
        {
            rows = rows.Where(n => n.Rack == rack);
        }
        return (rows, null, null);
    }

    public async Task<IReadOnlyList<Node>> ReadAsync(DflareDbContext db, IReadOnlyList<NodeRow> rows, PlatformScope scope, CancellationToken cancellationToken)
    {
        var ids = rows.Select(r => r.Id).ToList();
        var gpus = (await db.NodeGpus.AsNoTracking().Where(g => ids.Contains(g.NodeId)).ToListAsync(cancellationToken))
            .ToLookup(g => g.NodeId);
        var agents = await db.NodeAgents.AsNoTracking().Where(a => ids.Contains(a.NodeId)).ToDictionaryAsync(a => a.NodeId, cancellationToken);
        return [.. rows.Select(row => ToResource(row, scope) with
        {
            Status = new NodeStatus
            {
                State = row.State,
                Reason = row.StateReason,
                Gpus = [.. gpus[row.Id].OrderBy(g => g.Index).Select(g => new NodeGpuStatus(g.Index, g.Slot, g.Model, g.SerialNumber))],
                Agent = agents.GetValueOrDefault(row.Id) is { } a
                    ? new NodeAgentStatus(a.Health, a.HealthReason, a.RegisteredAt, a.LastHeartbeatAt, a.AgentVersion, a.CertificateNotAfter, a.RevokedAt is not null)
                    : null,
            },
        })];
    }

    public IQueryable<NodeRow> Query(DflareDbContext db, PlatformScope scope) => db.Nodes;

    public void Validate(Validation validation, Node resource, PlatformScope scope, bool creating)
    {
        Envelope.Validate(validation, resource, Kind);
        if (!validation.Required("spec", resource.Spec))
        {
            return;
        }
        var spec = resource.Spec!;
        Names.Validate(validation, "spec.rack", spec.Rack);
        Names.Validate(validation, "spec.sku", spec.Sku);
        if (spec.RackUnit is < 1 or > 64)
        {
            validation.Add("spec.rackUnit", FieldErrorCodes.OutOfRange, $"spec.rackUnit must be from 1 to 64; it is {spec.RackUnit}.");
        }
        if (!validation.Required("spec.bmc", spec.Bmc))
        {
            return;
        }
        if (validation.Required("spec.bmc.address", spec.Bmc!.Address)
            && (!Uri.TryCreate(spec.Bmc.Address, UriKind.Absolute, out var address) || address.Scheme is not ("https" or "http" or "sim") || spec.Bmc.Address!.Length > 512))
        {
            validation.Add("spec.bmc.address", FieldErrorCodes.InvalidFormat, $"spec.bmc.address '{spec.Bmc.Address}' must be an http(s) address such as https://10.0.12.7, or sim://bmc/<id> for a simulated BMC.");
        }
        if (validation.Required("spec.bmc.username", spec.Bmc.Username))
        {
            validation.Text("spec.bmc.username", spec.Bmc.Username, 128);
        }
        if (creating)
        {
            validation.Required("spec.bmc.password", spec.Bmc.Password);
        }
        validation.Text("spec.bmc.password", spec.Bmc.Password, 256);
        if (spec.Image is not null)
        {
            Names.Validate(validation, "spec.image", spec.Image);
        }
    }

    public NodeRow NewRow(Node resource, PlatformScope scope, DateTimeOffset now)
    {
        var row = new NodeRow
        {
            Id = Guid.CreateVersion7(now),
            Name = resource.Metadata!.Name!,
            Rack = "",
            Sku = "",
            BmcAddress = "",
            BmcUsername = "",
            BmcPasswordSealed = "",
            State = nameof(NodeState.Enrolled),
            CreatedAt = now,
        };
        Apply(row, resource);
        return row;
    }

    public void Apply(NodeRow row, Node resource)
    {
        var spec = resource.Spec!;
        row.Labels = Envelope.LabelsToJson(resource.Metadata!.Labels);
        row.Rack = spec.Rack!;
        row.Sku = spec.Sku!;
        row.RackUnit = spec.RackUnit;
        row.Image = spec.Image;
        row.BmcAddress = spec.Bmc!.Address!;
        row.BmcUsername = spec.Bmc.Username!;
        // Sealing is randomised: re-seal only when a password is sent, so an update without one changes nothing.
        if (spec.Bmc.Password is { } password)
        {
            var current = row.BmcPasswordSealed.Length > 0 ? secrets().Open(BmcPasswordPurpose, row.BmcPasswordSealed) : null;
            if (current != password)
            {
                row.BmcPasswordSealed = secrets().Seal(BmcPasswordPurpose, password);
            }
        }
    }

    public Node ToResource(NodeRow row, PlatformScope scope) => new()
    {
        ApiVersion = ApiVersions.V1,
        Kind = Kind,
        Metadata = Envelope.MetadataOf(row),
        Spec = new NodeSpec { Rack = row.Rack, Sku = row.Sku, RackUnit = row.RackUnit, Bmc = new NodeBmc { Address = row.BmcAddress, Username = row.BmcUsername }, Image = row.Image },
        Status = new NodeStatus { State = row.State, Reason = row.StateReason },
    };
}
