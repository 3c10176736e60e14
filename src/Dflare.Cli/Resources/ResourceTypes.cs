using System.Text.Json.Nodes;
using static Dflare.Client.Api.Fields;

namespace Dflare.Cli.Resources;

/// <summary>Every kind <c>get</c>, <c>describe</c>, <c>apply</c> and <c>delete</c> know, with the columns of its table.</summary>
public static class ResourceTypes
{
    private static readonly Column NameColumn = new("NAME", (o, _) => Text(o, "metadata.name"));
    private static readonly Column AgeColumn = new("AGE", (o, now) => Age(Time(o, "metadata.creationTimestamp"), now));
    private static readonly Column PhaseColumn = new("PHASE", (o, _) => Text(o, "status.phase"));
    private static readonly Column ProjectColumn = new("PROJECT", (o, _) => Text(o, "spec.project"));
    private static readonly Column LabelsColumn = new("LABELS", (o, _) => Text(o, "metadata.labels"), Wide: true);

    public static readonly ResourceType Nodes = new("nodes", "Node", ResourceScope.Platform, ["node", "no"],
    [
        NameColumn, new("RACK", (o, _) => Text(o, "spec.rack")), new("STATE", (o, _) => Text(o, "status.state")),
        new("SKU", (o, _) => Text(o, "spec.sku")), new("GPUS", (o, _) => Count(o, "status.gpus").ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("HEALTH", (o, _) => Text(o, "status.agent.health")), AgeColumn,
        new("GPU-MODEL", (o, _) => Text((o["status"]?["gpus"] as JsonArray)?.FirstOrDefault(), "model"), Wide: true),
        new("IMAGE", (o, _) => Text(o, "spec.image"), Wide: true), new("HEARTBEAT", (o, now) => Age(Time(o, "status.agent.lastHeartbeatAt"), now), Wide: true),
    ]);

    public static readonly ResourceType Clusters = new("clusters", "Cluster", ResourceScope.Tenant, ["cluster", "cl"],
    [
        NameColumn, ProjectColumn, new("TYPE", (o, _) => Text(o, "spec.type")), PhaseColumn,
        new("NODES", (o, _) => Count(o, "status.nodes").ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("GPUS", (o, _) => ((o["status"]?["nodes"] as JsonArray) ?? []).Sum(n => n?["gpus"]?.GetValue<int>() ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        AgeColumn, new("VERSION", (o, _) => Text(o, "status.kubernetesVersion"), Wide: true), new("OPERATION", (o, _) => Text(o, "status.operation"), Wide: true),
        new("REASON", (o, _) => Text(o, "status.reason"), Wide: true), LabelsColumn,
    ]) { HasOperations = true };

    public static readonly ResourceType Volumes = new("volumes", "Volume", ResourceScope.Tenant, ["volume", "vol"],
    [
        NameColumn, ProjectColumn, new("BACKEND", (o, _) => Text(o, "spec.backend")), new("SIZE", (o, _) => Bytes(o, "spec.sizeBytes")),
        new("USED", (o, _) => Bytes(o, "status.usedBytes")), PhaseColumn, AgeColumn,
        new("MOUNT", (o, _) => Text(o, "spec.mountPath"), Wide: true), new("ACCESS", (o, _) => Text(o, "spec.accessMode"), Wide: true),
        new("LOCATION", (o, _) => Text(o, "status.location"), Wide: true),
    ]) { HasOperations = true };

    public static readonly ResourceType Vpcs = new("vpcs", "Vpc", ResourceScope.Tenant, ["vpc"],
    [
        NameColumn, ProjectColumn, new("FABRIC", (o, _) => Text(o, "spec.fabric")), PhaseColumn, new("VRF", (o, _) => Text(o, "status.vrfId")),
        new("L3VNI", (o, _) => Text(o, "status.l3Vni")), new("PKEY", (o, _) => Text(o, "status.partitionKey")), AgeColumn,
        new("CIDR", (o, _) => Text(o, "spec.cidr"), Wide: true), new("ROUTE-TARGET", (o, _) => Text(o, "status.routeTarget"), Wide: true),
    ]);

    public static readonly ResourceType Subnets = new("subnets", "Subnet", ResourceScope.Tenant, ["subnet"],
    [
        NameColumn, new("VPC", (o, _) => Text(o, "spec.vpc")), new("CIDR", (o, _) => Text(o, "status.cidr")), PhaseColumn,
        new("VNI", (o, _) => Text(o, "status.l2Vni")), new("ATTACHED", (o, _) => Text(o, "status.attached")), AgeColumn,
        new("GATEWAY", (o, _) => Text(o, "status.gateway"), Wide: true), new("VLANS", (o, _) => Text(o, "status.vlans"), Wide: true),
    ]);

    public static readonly ResourceType Operations = new("operations", "Operation", ResourceScope.Platform, ["operation", "op", "ops"],
    [
        new("ID", (o, _) => Text(o, "metadata.name")), new("WORKFLOW", (o, _) => Text(o, "spec.workflow")), new("TARGET", (o, _) => Text(o, "spec.target")),
        new("PHASE", (o, _) => Text(o, "status.phase")), new("STEP", (o, _) => Text(o, "status.currentStep")), AgeColumn,
        new("ERROR", (o, _) => Text(o, "status.lastError"), Wide: true),
    ]);

    public static readonly ResourceType Tenants = new("tenants", "Tenant", ResourceScope.Platform, ["tenant"],
        [NameColumn, new("DISPLAY-NAME", (o, _) => Text(o, "spec.displayName")), AgeColumn, new("CONTACT", (o, _) => Text(o, "spec.contactEmail"), Wide: true), LabelsColumn]);

    public static readonly ResourceType Projects = new("projects", "Project", ResourceScope.Tenant, ["project"],
        [NameColumn, new("DISPLAY-NAME", (o, _) => Text(o, "spec.displayName")), PhaseColumn, AgeColumn, LabelsColumn]);

    public static readonly IReadOnlyList<ResourceType> All =
    [
        Nodes, Clusters, Volumes, Vpcs, Subnets, Operations, Tenants, Projects,
        new("racks", "Rack", ResourceScope.Platform, ["rack"], [NameColumn, new("SITE", (o, _) => Text(o, "spec.site")), new("LEAF", (o, _) => Text(o, "spec.ethernetLeaf")), new("IB-LEAF", (o, _) => Text(o, "spec.infinibandLeaf")), AgeColumn]),
        new("sites", "Site", ResourceScope.Platform, ["site"], [NameColumn, new("LOCATION", (o, _) => Text(o, "spec.location")), AgeColumn]),
        new("skus", "Sku", ResourceScope.Platform, ["sku"], [NameColumn, new("GPU-MODEL", (o, _) => Text(o, "spec.gpuModel")), new("GPUS", (o, _) => Text(o, "spec.gpus")), new("CPUS", (o, _) => Text(o, "spec.cpus")), new("MEMORY-GIB", (o, _) => Text(o, "spec.memoryGiB")), AgeColumn]),
        new("images", "Image", ResourceScope.Platform, ["image"], [NameColumn, new("OS", (o, _) => Text(o, "spec.os")), new("DRIVER", (o, _) => Text(o, "spec.gpuDriver")), new("CUDA", (o, _) => Text(o, "spec.cuda")), AgeColumn]),
        new("fabrics", "Fabric", ResourceScope.Platform, ["fabric"], [NameColumn, new("TYPE", (o, _) => Text(o, "spec.type")), new("DRIVER", (o, _) => Text(o, "spec.driver")), new("SWITCHES", (o, _) => Count(o, "spec.switches").ToString(System.Globalization.CultureInfo.InvariantCulture)), AgeColumn]),
        new("network-pools", "NetworkPool", ResourceScope.Platform, ["network-pool", "pools", "pool"], [NameColumn, new("FABRIC", (o, _) => Text(o, "spec.fabric")), new("KIND", (o, _) => Text(o, "spec.kind")), new("SIZE", (o, _) => Text(o, "status.size")), new("ALLOCATED", (o, _) => Text(o, "status.allocated")), AgeColumn]),
        new("storage-backends", "StorageBackend", ResourceScope.Platform, ["storage-backend", "backends", "backend"], [NameColumn, new("TIER", (o, _) => Text(o, "spec.tier")), new("DRIVER", (o, _) => Text(o, "spec.driver")), new("CAPACITY", (o, _) => Bytes(o, "spec.capacityBytes")), AgeColumn]),
        new("price-books", "PriceBook", ResourceScope.Platform, ["price-book", "pricebooks", "pricebook"], [NameColumn, new("TENANT", (o, _) => Text(o, "spec.tenant")), new("CURRENCY", (o, _) => Text(o, "spec.currency")), new("FROM", (o, _) => Text(o, "spec.effectiveFrom")), AgeColumn]),
        new("budgets", "Budget", ResourceScope.Tenant, ["budget"], [NameColumn, new("PROJECT", (o, _) => Text(o, "spec.project")), new("AMOUNT", (o, _) => Text(o, "spec.amount")), new("CURRENCY", (o, _) => Text(o, "spec.currency")), AgeColumn]),
    ];

    /// <summary>Names <c>get</c> takes that are not kinds of objects but reports.</summary>
    public static readonly IReadOnlyList<string> Reports = ["usage", "invoices"];

    public static ResourceType? Find(string word) => All.FirstOrDefault(t => t.Matches(word));

    public static ResourceType Resolve(string word) => Find(word)
        ?? throw new CliException(ExitCodes.Usage, $"'{word}' is not a kind dflare knows; use one of {string.Join(", ", All.Select(t => t.Plural).Concat(Reports))}.");

    public static ResourceType ForKind(string kind) => All.FirstOrDefault(t => t.Kind == kind)
        ?? throw new CliException(ExitCodes.Usage, $"kind '{kind}' is not one dflare can apply; use one of {string.Join(", ", All.Where(t => t != Operations).Select(t => t.Kind))}.");
}
