using System.Net;
using System.Text.Json.Nodes;
using Dflare.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Tests.Core.Clusters;

/// <summary>
/// The example specs end to end on the simulated datacenter: a Kubernetes cluster for one tenant (on its own VPC) and a
/// Slurm cluster for another (on a network made for it) go through the six phases to Operational; deleting them gives
/// every node (wiped: re-provisioned before reuse), address, VLAN, VNI, PKey and mount back.
/// </summary>
public sealed class ClusterLifecycleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Everything clusters and networks hold in the store, counted.</summary>
    private sealed record Holdings(int PoolValues, int Vpcs, int Subnets, int Partitions, int PartitionMembers, int Attachments, int NodeAllocations, int Mounts);

    private static Task<Holdings> HoldingsAsync(ClusterWorld world) => world.StoreAsync(async db => new Holdings(
        await db.NetworkAllocations.CountAsync(Ct), await db.Vpcs.CountAsync(Ct), await db.Subnets.CountAsync(Ct), await db.Partitions.CountAsync(Ct),
        await db.PartitionMembers.CountAsync(Ct), await db.NetworkAttachments.CountAsync(Ct), await db.NodeAllocations.CountAsync(Ct), await db.ClusterMounts.CountAsync(Ct)));

    [Fact]
    public async Task ExampleClusters_BecomeOperational_AndDeletingThemGivesEverythingBack()
    {
        await using var world = await ClusterWorld.StartAsync();
        await world.TenantAsync("acme");
        await world.CreatedAsync("/api/v1/tenants/acme/vpcs", ClusterWorld.Example("vpc-research.yaml"));
        await world.CreatedAsync("/api/v1/tenants/acme/subnets", ClusterWorld.Example("subnet-compute.yaml"));
        await world.TenantAsync("globex");
        foreach (var tenant in new[] { "acme", "globex" })
        {
            await world.CreatedAsync($"/api/v1/tenants/{tenant}/volumes", ClusterWorld.Example("volume-datasets.yaml"));
            await world.PhaseAsync($"/api/v1/tenants/{tenant}/volumes/datasets", "Ready");
        }
        await world.PhaseAsync("/api/v1/tenants/acme/subnets/compute", "Ready");
        var before = await HoldingsAsync(world);

        await world.CreatedAsync("/api/v1/tenants/acme/clusters", ClusterWorld.Example("kubernetes-cluster.yaml"));
        await world.CreatedAsync("/api/v1/tenants/globex/clusters", ClusterWorld.Example("slurm-cluster.yaml"));
        var inference = await world.PhaseAsync("/api/v1/tenants/acme/clusters/inference", "Operational");
        var train = await world.PhaseAsync("/api/v1/tenants/globex/clusters/train-a", "Operational");

        // Placement: four nodes each, never shared, each pool within its constraint.
        var k8sNodes = inference["status"]!["nodes"]!.AsArray();
        var slurmNodes = train["status"]!["nodes"]!.AsArray();
        Assert.Equal(4, k8sNodes.Count);
        Assert.Equal(4, slurmNodes.Count);
        Assert.Empty(k8sNodes.Select(n => (string)n!["node"]!).Intersect(slurmNodes.Select(n => (string)n!["node"]!)));
        Assert.Single(k8sNodes.Select(n => (string?)n!["leaf"]).Distinct());
        Assert.Single(slurmNodes.Select(n => (string?)n!["infinibandLeaf"]).Distinct());
        Assert.Equal("1.34", (string?)inference["status"]!["kubernetesVersion"]);
        Assert.Equal("/data", (string?)inference["status"]!["volumes"]![0]!["mountPath"]);
        Assert.True((bool)inference["status"]!["volumes"]![0]!["readOnly"]!);

        // The operation walked the seed's phases as steps; every node is Allocated.
        var operation = await world.GetAsync($"/api/v1/operations/{inference["status"]!["operation"]}");
        Assert.Equal<string>(["place", "network", "storage", "control-plane", "workers", "gpu-runtime", "validation", "operational"],
            [.. operation["status"]!["steps"]!.AsArray().Select(s => (string)s!["name"]!)]);
        Assert.Equal(4, operation["status"]!["steps"]![6]!["output"]!.AsArray().Count(c => (bool)c!["healthy"]!));
        foreach (var node in k8sNodes.Concat(slurmNodes))
        {
            Assert.Equal("Allocated", (string?)(await world.GetAsync($"/api/v1/nodes/{node!["node"]}"))["status"]!["state"]);
        }

        // Tenant access and what the nodes are given.
        var access = await world.GetAsync("/api/v1/tenants/acme/clusters/inference/access");
        Assert.StartsWith("https://10.", (string?)access["endpoint"], StringComparison.Ordinal);
        Assert.Contains("oidc-issuer-url=", (string?)access["kubeconfig"], StringComparison.Ordinal);
        Assert.Contains("/realms/acme", (string?)access["kubeconfig"], StringComparison.Ordinal);
        var slurmAccess = await world.GetAsync("/api/v1/tenants/globex/clusters/train-a/access");
        Assert.Contains("PartitionName=gpu", (string?)slurmAccess["details"]!["slurmConf"], StringComparison.Ordinal);
        var rendered = await world.GetAsync("/api/v1/tenants/acme/clusters/inference/rendered");
        Assert.Contains("kind: InitConfiguration", (string?)rendered["kubernetes/kubeadm-init.yaml"], StringComparison.Ordinal);
        Assert.Contains("[redacted]", (string?)rendered["kubernetes/kubeadm-init.yaml"], StringComparison.Ordinal);
        var slurmRendered = await world.GetAsync("/api/v1/tenants/globex/clusters/train-a/rendered");
        Assert.Contains("Gres=gpu:h100:8", (string?)slurmRendered["slurm/slurm.conf"], StringComparison.Ordinal);
        var mounts = (await world.GetAsync("/api/v1/tenants/acme/clusters/inference/mounts")).AsArray();
        Assert.Equal(4, mounts.Count);
        Assert.Equal("lustre", (string?)mounts[0]!["mounts"]![0]!["fsType"]);
        Assert.StartsWith("ro,", (string?)mounts[0]!["mounts"]![0]!["options"], StringComparison.Ordinal);

        // The slurm cluster's network was made for it; the nodes have addresses on both tenants' segments.
        var managed = await world.GetAsync("/api/v1/tenants/globex/vpcs/cluster-train-a");
        Assert.NotNull(managed["status"]!["partitionKey"]);
        var during = await HoldingsAsync(world);
        Assert.Equal(8, during.Attachments - before.Attachments);
        Assert.Equal(8, during.NodeAllocations);
        Assert.Equal(before.Vpcs + 1, during.Vpcs);

        // A mounted volume is not deleted unless forced.
        await (await world.Admin.DeleteAsync("/api/v1/tenants/acme/volumes/datasets", Ct)).AssertProblemAsync(409, "volume-in-use");

        var deleted = await world.Admin.DeleteAsync("/api/v1/tenants/acme/clusters/inference", Ct);
        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await world.Admin.DeleteAsync("/api/v1/tenants/globex/clusters/train-a", Ct)).StatusCode);
        Assert.Equal("delete-cluster", (string?)(await deleted.ReadAsync())["spec"]!["workflow"]);
        await world.GoneAsync("/api/v1/tenants/acme/clusters/inference");
        await world.GoneAsync("/api/v1/tenants/globex/clusters/train-a");

        Assert.Equal(before, await HoldingsAsync(world));
        // Every node comes back through the wipe (re-provisioned from the golden image) to Ready.
        await world.AllReadyAsync();
        var history = await world.GetAsync($"/api/v1/nodes/{k8sNodes[0]!["node"]}/history");
        Assert.Equal<string>(["Ready", "Provisioning", "Draining", "Allocated"], [.. history["transitions"]!.AsArray().Take(4).Select(t => (string)t!["to"]!)]);
        Assert.Equal(HttpStatusCode.NoContent, (await world.Admin.DeleteAsync("/api/v1/tenants/acme/volumes/datasets", Ct)).StatusCode);
    }
}
