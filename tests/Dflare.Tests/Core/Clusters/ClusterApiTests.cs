using System.Net;
using System.Text.Json.Nodes;
using Dflare.Core.Clusters;
using Dflare.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Tests.Core.Clusters;

/// <summary>Clusters through the API on the simulated datacenter: every refusal with its code and field (and nothing
/// kept), waiting for capacity with the reason, scaling with drain and wipe, upgrades one minor at a time, a failing
/// node, and volumes mounted on running clusters (another tenant's answers 404).</summary>
public sealed class ClusterApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Spec(string name, string type = "kubernetes", int count = 2, string version = "1.33", string extra = "", string pool = "") => $$$"""
        {"apiVersion":"dflare.ai/v1","kind":"Cluster","metadata":{"name":"{{{name}}}"},
         "spec":{"project":"research","type":"{{{type}}}"{{{(type.Contains("kubernetes", StringComparison.Ordinal) ? $$$""","kubernetes":{"version":"{{{version}}}"}""" : "")}}},
                 "pools":[{"name":"gpu","sku":"hgx-h100-8","count":{{{count}}}{{{pool}}} }]{{{extra}}} }}
        """;

    private static async Task<HttpResponseMessage> ReplaceAsync(ClusterWorld world, string tenant, string name, string spec)
    {
        var current = await world.Admin.GetAsync($"/api/v1/tenants/{tenant}/clusters/{name}", Ct);
        return await world.Admin.PutJsonAsync($"/api/v1/tenants/{tenant}/clusters/{name}", spec, r => r.Headers.IfMatch.Add(current.Headers.ETag!));
    }

    [Fact]
    public async Task BadSpecs_AreRefusedFieldByField_AndNothingIsKept()
    {
        await using var world = await ClusterWorld.StartAsync();
        await world.TenantAsync("acme");
        await world.TenantAsync("globex");
        await world.CreatedAsync("/api/v1/tenants/globex/volumes", ClusterWorld.Example("volume-datasets.yaml"));
        var path = "/api/v1/tenants/acme/clusters";
        async Task<JsonNode> Refused(string spec, int status, string code, string field) =>
            await (await world.Admin.PostJsonAsync(path, spec)).AssertProblemAsync(status, code, field);

        var version = await Refused(Spec("c1", version: "1.32"), 422, "validation-failed", "spec.kubernetes.version");
        Assert.Contains("supported versions: 1.33, 1.34, 1.35", version.ToJsonString(), StringComparison.Ordinal);
        await Refused(Spec("c1", type: "nomad"), 422, "validation-failed", "spec.type");
        await Refused(Spec("c1", count: 0), 422, "validation-failed", "spec.pools[0].count");
        await Refused(Spec("c1", pool: ""","placement":{"sameRack":true,"spread":true}"""), 422, "validation-failed", "spec.pools[0].placement");
        await Refused(Spec("c1", pool: ""","mig":"9g.90gb" """), 422, "validation-failed", "spec.pools[0].mig");
        await Refused(Spec("c1").Replace("hgx-h100-8", "dgx-b200-8", StringComparison.Ordinal), 422, "validation-failed", "spec.pools[0].sku");
        await Refused(Spec("c1", extra: ""","slurm":{"partitions":[]}"""), 422, "validation-failed", "spec.slurm");
        await Refused(Spec("c1", type: "slurm", extra: ""","slurm":{"partitions":[{"name":"gpu","pools":["cpu"]}]}"""), 422, "validation-failed", "spec.slurm.partitions[0].pools[0]");
        await Refused(Spec("c1", extra: ""","network":{"vpc":"nope","subnets":["x"]}"""), 422, "validation-failed", "spec.network.vpc");
        // Another tenant's volume is not the tenant's to name.
        await Refused(Spec("c1", extra: ""","volumes":[{"name":"datasets"}]"""), 422, "validation-failed", "spec.volumes[0].name");
        await Refused(Spec("c1", extra: ""","addOns":[{"name":"gpu-burner"}]"""), 422, "validation-failed", "spec.addOns[0].name");
        await (await world.Admin.PostJsonAsync(path, """{"metadata":{"name":"c1"},"spec":{"project":"research","type":"kubernetes","pools":[],"kubernetes":{"version":"1.34"},"unknown":1}}"""))
            .AssertProblemAsync(400, "unknown-field");
        var yaml = await world.PostAsync(path, "metadata: {name: c1\nspec: [");
        await yaml.AssertProblemAsync(400, "malformed-json");

        // A quota the pools would break (its own clusters count; other tenants' do not).
        Assert.Equal(HttpStatusCode.OK, (await world.Admin.PutJsonAsync("/api/v1/tenants/acme/quota", """{"gpus":{"H100-SXM5-80GB":24}}""")).StatusCode);
        var quota = await Refused(Spec("c1", count: 4), 422, "validation-failed", "spec.pools[0].count");
        Assert.Contains("needs 32 H100-SXM5-80GB GPUs", quota.ToJsonString(), StringComparison.Ordinal);
        await (await world.Admin.PutJsonAsync("/api/v1/tenants/acme/quota", """{"gpus":{"H100-SXM5-80GB":-1}}""")).AssertProblemAsync(422, "validation-failed", "gpus.H100-SXM5-80GB");
        Assert.Equal(24, (int)(await world.GetAsync("/api/v1/tenants/acme/quota"))["gpus"]!["H100-SXM5-80GB"]!);

        Assert.Equal(0, await world.StoreAsync(db => db.Clusters.CountAsync(Ct)));
        Assert.Equal(0, await world.StoreAsync(db => db.Vpcs.CountAsync(Ct)));
        Assert.Equal(0, await world.StoreAsync(db => db.NetworkAllocations.CountAsync(Ct)));
        Assert.Equal(HttpStatusCode.NotFound, (await world.Admin.GetAsync("/api/v1/tenants/acme/clusters/c1", Ct)).StatusCode);
        await (await world.Admin.GetAsync("/api/v1/tenants/acme/clusters/c1/access", Ct)).AssertProblemAsync(404, "not-found");
    }

    [Fact]
    public async Task ScalingDrainsAndWipesWhatItGivesBack_UpgradesGoOneMinorAtATime_AndVolumesMountOnARunningCluster()
    {
        await using var world = await ClusterWorld.StartAsync();
        await world.TenantAsync("acme");
        await world.TenantAsync("globex");
        await world.CreatedAsync("/api/v1/tenants/acme/volumes", ClusterWorld.Example("volume-datasets.yaml"));
        await world.CreatedAsync("/api/v1/tenants/globex/volumes", ClusterWorld.Example("volume-datasets.yaml"));
        await world.PhaseAsync("/api/v1/tenants/acme/volumes/datasets", "Ready");
        await world.CreatedAsync("/api/v1/tenants/acme/clusters", Spec("k"), "application/json");
        await world.CreatedAsync("/api/v1/tenants/globex/clusters", Spec("other", count: 1), "application/json");
        var path = "/api/v1/tenants/acme/clusters/k";
        var first = await world.PhaseAsync(path, "Operational");
        await world.PhaseAsync("/api/v1/tenants/globex/clusters/other", "Operational");
        Assert.Equal(2, first["status"]!["nodes"]!.AsArray().Count);

        // The answer to the write shows the phase it set (the run may finish before anyone reads again).
        var scaling = await ReplaceAsync(world, "acme", "k", Spec("k", count: 4));
        Assert.Equal(HttpStatusCode.OK, scaling.StatusCode);
        Assert.Equal("Scaling", (string?)(await scaling.ReadAsync())["status"]!["phase"]);
        var grown = await world.PhaseAsync(path, "Operational");
        Assert.Equal(4, grown["status"]!["nodes"]!.AsArray().Count);
        Assert.Equal(4, world.Service<SimulatedClusterRuntime>().WorkersOf(Guid.Parse((string)grown["metadata"]!["uid"]!)).Count);

        Assert.Equal(HttpStatusCode.OK, (await ReplaceAsync(world, "acme", "k", Spec("k", count: 1))).StatusCode);
        var shrunk = await world.PhaseAsync(path, "Operational");
        var kept = (string)shrunk["status"]!["nodes"]![0]!["node"]!;
        Assert.Equal((string)grown["status"]!["nodes"]![0]!["node"]!, kept);
        var gone = (string)grown["status"]!["nodes"]![3]!["node"]!;
        var history = await world.GetAsync($"/api/v1/nodes/{gone}/history");
        Assert.Contains("Draining", history["transitions"]!.AsArray().Select(t => (string?)t!["to"]));
        await Poll.UntilAsync(async ct => (string?)(await world.GetAsync($"/api/v1/nodes/{gone}"))["status"]!["state"] == "Ready" ? "" : null,
            ClusterWorld.Deadline, $"{gone} wiped and Ready");

        // Upgrades: one minor version at a time, never down.
        await (await ReplaceAsync(world, "acme", "k", Spec("k", count: 1, version: "1.35"))).AssertProblemAsync(422, "validation-failed", "spec.kubernetes.version");
        var upgrading = await ReplaceAsync(world, "acme", "k", Spec("k", count: 1, version: "1.34"));
        Assert.Equal(HttpStatusCode.OK, upgrading.StatusCode);
        Assert.Equal("Upgrading", (string?)(await upgrading.ReadAsync())["status"]!["phase"]);
        var upgraded = await world.PhaseAsync(path, "Operational");
        Assert.Equal("1.34", (string?)upgraded["status"]!["kubernetesVersion"]);
        await (await ReplaceAsync(world, "acme", "k", Spec("k", count: 1, version: "1.33"))).AssertProblemAsync(422, "validation-failed", "spec.kubernetes.version");

        // Mounting on the running cluster; another tenant's cluster or volume is not there (404).
        var mount = await world.Admin.PutJsonAsync($"{path}/volumes/datasets", """{"mountPath":"/datasets","readOnly":true}""");
        Assert.Equal(HttpStatusCode.Accepted, mount.StatusCode);
        var mounted = await world.PhaseAsync(path, "Operational");
        Assert.Equal("/datasets", (string?)mounted["status"]!["volumes"]![0]!["mountPath"]);
        await (await world.Admin.PutJsonAsync("/api/v1/tenants/acme/clusters/other/volumes/datasets", """{"mountPath":"/d"}""")).AssertProblemAsync(404, "not-found");
        await (await world.Admin.PutJsonAsync("/api/v1/tenants/globex/clusters/other/volumes/nope", """{"mountPath":"/d"}""")).AssertProblemAsync(404, "not-found");
        await (await world.Admin.DeleteAsync("/api/v1/tenants/acme/volumes/datasets", Ct)).AssertProblemAsync(409, "volume-in-use");
        Assert.Equal(HttpStatusCode.Accepted, (await world.Admin.DeleteAsync($"{path}/volumes/datasets", Ct)).StatusCode);
        var unmounted = await world.PhaseAsync(path, "Operational");
        Assert.Empty(unmounted["status"]!["volumes"]!.AsArray());
        Assert.Equal(HttpStatusCode.NoContent, (await world.Admin.DeleteAsync("/api/v1/tenants/acme/volumes/datasets", Ct)).StatusCode);
    }

    [Fact]
    public async Task ARequestThatDoesNotFit_WaitsSayingWhy_AndIsServedWhenNodesComeBack_AndAFailingNodeFailsValidation()
    {
        await using var world = await ClusterWorld.StartAsync();
        await world.TenantAsync("acme");
        await world.TenantAsync("globex");
        await world.CreatedAsync("/api/v1/tenants/acme/clusters", Spec("big", count: 12), "application/json");
        await world.PhaseAsync("/api/v1/tenants/acme/clusters/big", "Operational");
        await world.CreatedAsync("/api/v1/tenants/globex/clusters", Spec("wide", count: 6, pool: ""","placement":{"sameInfinibandLeafGroup":true}"""), "application/json");
        var waiting = await Poll.UntilAsync(async ct =>
        {
            var body = await world.GetAsync("/api/v1/tenants/globex/clusters/wide");
            return ((string?)body["status"]!["reason"])?.StartsWith("waiting for capacity", StringComparison.Ordinal) == true ? body : null;
        }, ClusterWorld.Deadline, "the cluster to say why it waits");
        Assert.Equal("Requested", (string?)waiting["status"]!["phase"]);
        Assert.Equal("waiting for capacity: pool 'gpu' needs 6 nodes of SKU hgx-h100-8 on one InfiniBand leaf group; the largest free InfiniBand leaf group has 4",
            (string?)waiting["status"]!["reason"]);

        // A waiting cluster deleted before it is served leaves nothing behind (its managed network goes too).
        await world.CreatedAsync("/api/v1/tenants/acme/clusters", Spec("queued", count: 8), "application/json");
        await Poll.UntilAsync(async ct => ((string?)(await world.GetAsync("/api/v1/tenants/acme/clusters/queued"))["status"]!["reason"])?.StartsWith("waiting", StringComparison.Ordinal) == true ? "" : null,
            ClusterWorld.Deadline, "the second cluster to wait");
        Assert.Equal(HttpStatusCode.Accepted, (await world.Admin.DeleteAsync("/api/v1/tenants/acme/clusters/queued", Ct)).StatusCode);
        await world.GoneAsync("/api/v1/tenants/acme/clusters/queued");
        Assert.Equal(12, await world.StoreAsync(db => db.NodeAllocations.CountAsync(Ct)));
        Assert.Equal(HttpStatusCode.NotFound, (await world.Admin.GetAsync("/api/v1/tenants/acme/vpcs/cluster-queued", Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.Accepted, (await world.Admin.DeleteAsync("/api/v1/tenants/acme/clusters/big", Ct)).StatusCode);
        var served = await world.PhaseAsync("/api/v1/tenants/globex/clusters/wide", "Operational");
        Assert.Single(served["status"]!["nodes"]!.AsArray().Select(n => (string?)n!["infinibandLeaf"]).Distinct());
        Assert.Null((string?)served["status"]!["reason"]);

        // A node whose GPU fell off the bus fails the smoke test: the cluster is Failed with the reason, and deleting
        // it gives its nodes back all the same.
        var runtime = world.Service<SimulatedClusterRuntime>();
        foreach (var node in await Provisioning.SimulatedDatacenterTests.NodesAsync(world.Admin))
        {
            runtime.FailNode((string)node!["metadata"]!["name"]!, "XID 79: GPU has fallen off the bus");
        }
        await world.CreatedAsync("/api/v1/tenants/acme/clusters", Spec("broken", count: 2), "application/json");
        var failed = await world.PhaseAsync("/api/v1/tenants/acme/clusters/broken", "Failed");
        Assert.StartsWith("validation: validation failed on ", (string?)failed["status"]!["reason"], StringComparison.Ordinal);
        Assert.Contains("XID 79", (string?)failed["status"]!["reason"], StringComparison.Ordinal);
        runtime.ClearFaults();
        Assert.Equal(HttpStatusCode.Accepted, (await world.Admin.DeleteAsync("/api/v1/tenants/acme/clusters/broken", Ct)).StatusCode);
        await world.GoneAsync("/api/v1/tenants/acme/clusters/broken");
        Assert.Equal(6, await world.StoreAsync(db => db.NodeAllocations.CountAsync(Ct)));
    }
}
