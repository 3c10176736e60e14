using System.Net;
using Dflare.Core.Identity;
using Dflare.Core.Network;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Core.Network;

/// <summary>VPCs, subnets, attachments and fabrics through the API on the simulated fabric: values from pools and back,
/// IPAM, partitions, every refusal with its code and field, drift found and repaired.</summary>
public sealed class NetworkApiTests : IAsyncLifetime
{
    private NetworkWorld _world = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _world = await NetworkWorld.StartAsync();
        await _world.TenantAsync("acme");
        await _world.TenantAsync("globex");
    }

    public ValueTask DisposeAsync() => _world.DisposeAsync();

    [Fact]
    public async Task AVpcAndItsSubnets_TakeValuesFromThePools_BecomeReady_AndGiveThemBack()
    {
        await _world.VpcAsync("acme", "main", """, "infiniband":"ib" """);
        var vpc = await _world.ReadyAsync("/api/v1/tenants/acme/vpcs/main");
        Assert.Equal(1, (int)vpc["status"]!["vrfId"]!);
        Assert.Equal(50000, (int)vpc["status"]!["l3Vni"]!);
        Assert.Equal("65000:50000", (string)vpc["status"]!["routeTarget"]!);
        Assert.Equal("0x0001", (string)vpc["status"]!["partitionKey"]!);
        Assert.Equal("eth", (string)vpc["spec"]!["fabric"]!);

        await _world.SubnetAsync("acme", "web", "main", """, "ipv6":true """);
        await _world.SubnetAsync("acme", "db", "main");
        var web = await _world.ReadyAsync("/api/v1/tenants/acme/subnets/web");
        var db = await _world.ReadyAsync("/api/v1/tenants/acme/subnets/db");
        Assert.Equal("10.128.0.0/24", (string)web["status"]!["cidr"]!);
        Assert.Equal("10.128.0.1", (string)web["status"]!["gateway"]!);
        Assert.Equal("fd00:df1::/64", (string)web["status"]!["ipv6Cidr"]!);
        Assert.Equal("fd00:df1::1", (string)web["status"]!["ipv6Gateway"]!);
        Assert.Equal(10000, (int)web["status"]!["l2Vni"]!);
        Assert.Equal(100, (int)web["status"]!["vlans"]!["leaf1"]!);
        Assert.Equal(100, (int)web["status"]!["vlans"]!["leaf2"]!);
        Assert.Equal("10.128.1.0/24", (string)db["status"]!["cidr"]!);
        Assert.Equal(101, (int)db["status"]!["vlans"]!["leaf1"]!);

        var vlans = await (await _world.Admin.GetAsync("/api/v1/network-pools/vlans", Ct)).ReadAsync();
        Assert.Equal(4, (long)vlans["status"]!["allocated"]!); // two subnets on two leaves
        Assert.Equal(3900, (long)vlans["status"]!["size"]!);

        // A subnet's id is reused once it is given back; deleting needs the subnets gone first.
        await (await _world.Admin.DeleteAsync("/api/v1/tenants/acme/vpcs/main", Ct)).AssertProblemAsync(409, "has-dependents");
        Assert.Equal(HttpStatusCode.NoContent, (await _world.Admin.DeleteAsync("/api/v1/tenants/acme/subnets/web", Ct)).StatusCode);
        await _world.SubnetAsync("acme", "cache", "main");
        var cache = await _world.ReadyAsync("/api/v1/tenants/acme/subnets/cache");
        Assert.Equal("10.128.0.0/24", (string)cache["status"]!["cidr"]!);
        Assert.Equal(10000, (int)cache["status"]!["l2Vni"]!);
        Assert.Equal(100, (int)cache["status"]!["vlans"]!["leaf1"]!);

        foreach (var path in new[] { "subnets/cache", "subnets/db", "vpcs/main" })
        {
            Assert.Equal(HttpStatusCode.NoContent, (await _world.Admin.DeleteAsync($"/api/v1/tenants/acme/{path}", Ct)).StatusCode);
        }
        var pools = await (await _world.Admin.GetAsync("/api/v1/network-pools", Ct)).ReadAsync();
        Assert.All(pools["items"]!.AsArray(), p => Assert.Equal(0L, (long)p!["status"]!["allocated"]!));
    }

    [Fact]
    public async Task AVpcWithItsOwnRange_CutsSubnetsFromIt_AndRefusesOverlapsInside_ButNotAcrossTenants()
    {
        await _world.VpcAsync("acme", "own", """, "cidr":"192.168.0.0/16" """);
        await _world.VpcAsync("globex", "own", """, "cidr":"192.168.0.0/16" """);
        await _world.SubnetAsync("acme", "a", "own", """, "cidr":"192.168.0.0/24" """);
        await _world.SubnetAsync("acme", "b", "own");
        await _world.SubnetAsync("globex", "a", "own", """, "cidr":"192.168.0.0/24" """);
        Assert.Equal("192.168.1.0/24", (string)(await _world.ReadyAsync("/api/v1/tenants/acme/subnets/b"))["status"]!["cidr"]!);

        var overlap = await _world.Admin.PostJsonAsync("/api/v1/tenants/acme/subnets", """{"metadata":{"name":"c"},"spec":{"vpc":"own","cidr":"192.168.1.128/25"}}""");
        var problem = await overlap.AssertProblemAsync(409, "subnet-overlap");
        Assert.Contains("192.168.1.0/24", (string)problem["detail"]!, StringComparison.Ordinal);
        await (await _world.Admin.PostJsonAsync("/api/v1/tenants/acme/subnets", """{"metadata":{"name":"c"},"spec":{"vpc":"own","cidr":"10.0.0.0/24"}}"""))
            .AssertProblemAsync(422, "validation-failed", "spec.cidr");
        // Nothing of a refused write is kept: the values it took are free again.
        var vnis = await (await _world.Admin.GetAsync("/api/v1/network-pools/l2vnis", Ct)).ReadAsync();
        Assert.Equal(3L, (long)vnis["status"]!["allocated"]!);
    }

    [Fact]
    public async Task BadInput_IsRefusedWithItsCodeAndField()
    {
        await (await _world.Admin.PostJsonAsync("/api/v1/tenants/acme/vpcs", """{"metadata":{"name":"x"},"spec":{"project":"p","fabric":"nope"}}"""))
            .AssertProblemAsync(422, "validation-failed", "spec.fabric");
        await (await _world.Admin.PostJsonAsync("/api/v1/tenants/acme/vpcs", """{"metadata":{"name":"x"},"spec":{"project":"p","fabric":"ib"}}"""))
            .AssertProblemAsync(422, "validation-failed", "spec.fabric");
        await (await _world.Admin.PostJsonAsync("/api/v1/tenants/acme/vpcs", """{"metadata":{"name":"x"},"spec":{"project":"p","fabric":"eth","cidr":"10.0.0.1/16"}}"""))
            .AssertProblemAsync(422, "validation-failed", "spec.cidr");
        await (await _world.Admin.PostJsonAsync("/api/v1/tenants/acme/vpcs", """{"metadata":{"name":"x"},"spec":{"project":"nope","fabric":"eth"}}"""))
            .AssertProblemAsync(422, "validation-failed", "spec.project");
        await _world.VpcAsync("acme", "v");
        await (await _world.Admin.PutJsonAsync("/api/v1/tenants/acme/vpcs/v", """{"metadata":{"name":"v"},"spec":{"project":"p","fabric":"eth","cidr":"10.9.0.0/16"}}"""))
            .AssertProblemAsync(422, "validation-failed", "spec");
        await (await _world.Admin.PostJsonAsync("/api/v1/tenants/acme/subnets", """{"metadata":{"name":"s"},"spec":{"vpc":"v","ingress":[{"from":"10.0.0.0/8","protocol":"icmp","ports":"22"}]}}"""))
            .AssertProblemAsync(422, "validation-failed", "spec.ingress[0].ports");
        await (await _world.Admin.PostJsonAsync("/api/v1/tenants/acme/subnets", """{"metadata":{"name":"s"},"spec":{"vpc":"v","ingress":[{"from":"subnet:ghost"}]}}"""))
            .AssertProblemAsync(422, "validation-failed", "spec.ingress[0].from");
        await (await _world.Admin.PostJsonAsync("/api/v1/tenants/acme/subnets", """{"metadata":{"name":"s"},"spec":{"vpc":"v","prefixLength":31}}"""))
            .AssertProblemAsync(422, "validation-failed", "spec.prefixLength");
        await (await _world.Admin.PostJsonAsync("/api/v1/tenants/acme/subnets", """{"metadata":{"name":"s"},"spec":{"vpc":"ghost"}}"""))
            .AssertProblemAsync(422, "validation-failed", "spec.vpc");
        await (await _world.Admin.PostJsonAsync("/api/v1/network-pools", """{"metadata":{"name":"more"},"spec":{"fabric":"eth","kind":"L2Vni","start":15000,"end":25000}}"""))
            .AssertProblemAsync(422, "validation-failed", "spec.start");
        await (await _world.Admin.PostJsonAsync("/api/v1/network-pools", """{"metadata":{"name":"more"},"spec":{"fabric":"eth","kind":"L3Vni","start":19999,"end":20001}}"""))
            .AssertProblemAsync(422, "validation-failed", "spec.start");
        await (await _world.Admin.PostJsonAsync("/api/v1/network-pools", """{"metadata":{"name":"more"},"spec":{"fabric":"eth","kind":"PKey","start":1,"end":2}}"""))
            .AssertProblemAsync(422, "validation-failed", "spec.kind");
        await (await _world.Admin.PostJsonAsync("/api/v1/network-pools", """{"metadata":{"name":"more"},"spec":{"fabric":"ib","kind":"PKey","start":1,"end":32767}}"""))
            .AssertProblemAsync(422, "validation-failed", "spec.end");
        await (await _world.Admin.PostJsonAsync("/api/v1/network-pools", """{"metadata":{"name":"more"},"spec":{"fabric":"eth","kind":"Vlan","start":1,"end":10}}"""))
            .AssertProblemAsync(422, "validation-failed", "spec.start");
        await (await _world.Admin.PostJsonAsync("/api/v1/fabrics", """
            {"metadata":{"name":"bad"},"spec":{"type":"Ethernet","switches":[{"name":"l1","role":"Leaf","asn":65001,"vtep":"not-an-ip"}],
             "links":[{"node":"n1","nic":"eth0","switch":"l9","port":"Ethernet0"}]}}
            """)).AssertProblemAsync(422, "validation-failed", "spec.switches[0].vtep");
        var bad = await (await _world.Admin.PostJsonAsync("/api/v1/fabrics", """
            {"metadata":{"name":"bad"},"spec":{"type":"Ethernet","switches":[{"name":"l1","role":"Leaf","asn":65001,"vtep":"10.0.0.1"}],
             "links":[{"node":"n1","nic":"eth0","switch":"l9","port":"Ethernet0"}]}}
            """)).AssertProblemAsync(422, "validation-failed", "spec.links[0].switch");
        Assert.Single(bad["errors"]!.AsArray());
        // A pool cannot shrink under values it has handed out.
        await _world.SubnetAsync("acme", "s", "v");
        await _world.ReadyAsync("/api/v1/tenants/acme/subnets/s");
        await (await _world.Admin.PutJsonAsync("/api/v1/network-pools/l2vnis", """{"metadata":{"name":"l2vnis"},"spec":{"fabric":"eth","kind":"L2Vni","start":10001,"end":19999}}"""))
            .AssertProblemAsync(422, "validation-failed", "spec.start");
        await (await _world.Admin.DeleteAsync("/api/v1/network-pools/l2vnis", Ct)).AssertProblemAsync(409, "has-dependents");
        await (await _world.Admin.DeleteAsync("/api/v1/fabrics/eth", Ct)).AssertProblemAsync(409, "has-dependents");
    }

    [Fact]
    public async Task AnExhaustedPool_AnswersAConflictNamingIt_AndKeepsNothing()
    {
        Assert.Equal(HttpStatusCode.OK, (await _world.Admin.PutJsonAsync("/api/v1/network-pools/vrfs", """{"metadata":{"name":"vrfs"},"spec":{"fabric":"eth","kind":"Vrf","start":1,"end":1}}""")).StatusCode);
        await _world.VpcAsync("acme", "first");
        var refused = await _world.Admin.PostJsonAsync("/api/v1/tenants/globex/vpcs", """{"metadata":{"name":"second"},"spec":{"project":"p","fabric":"eth"}}""");
        var problem = await refused.AssertProblemAsync(409, "pool-exhausted");
        Assert.Contains("'vrfs'", (string)problem["detail"]!, StringComparison.Ordinal);
        await (await _world.Admin.GetAsync("/api/v1/tenants/globex/vpcs/second", Ct)).AssertProblemAsync(404, "not-found");
        var l3 = await (await _world.Admin.GetAsync("/api/v1/network-pools/l3vnis", Ct)).ReadAsync();
        Assert.Equal(1L, (long)l3["status"]!["allocated"]!);
    }

    [Fact]
    public async Task Attachments_GetTheLowestFreeAddress_JoinThePartition_AndAreRefusedWhereTheyMustBe()
    {
        await _world.VpcAsync("acme", "main", """, "infiniband":"ib" """);
        await _world.SubnetAsync("acme", "web", "main", """, "cidr":"10.1.0.0/29" """);
        await _world.SubnetAsync("acme", "db", "main", """, "cidr":"10.2.0.0/29" """);
        Assert.Equal("10.1.0.2", await _world.AttachAsync("acme", "web", "n1"));
        Assert.Equal("10.1.0.3", await _world.AttachAsync("acme", "web", "n2"));
        Assert.Equal("10.1.0.2", await _world.AttachAsync("acme", "web", "n1")); // idempotent

        var partitions = await (await _world.Admin.GetAsync("/api/v1/fabrics/ib/rendered?format=opensm", Ct)).Content.ReadAsStringAsync(Ct);
        Assert.Contains("t-acme=0x0001, ipoib, indx0 : 0x0002c90300a1b001=full, 0x0002c90300a1b002=full ;", partitions, StringComparison.Ordinal);
        var ufm = await (await _world.Admin.GetAsync("/api/v1/fabrics/ib/rendered?format=ufm", Ct)).ReadAsync();
        Assert.Equal("/ufmRest/resources/pkeys", (string)ufm[1]!["path"]!);
        Assert.Equal("0002c90300a1b001", (string)ufm[1]!["body"]!["guids"]![0]!);

        // An untagged NIC carries one segment; a subnet with nodes cannot go; unknown nodes are named.
        await (await _world.Admin.PostJsonAsync("/api/v1/tenants/acme/subnets/db/attachments", """{"node":"n1"}""")).AssertProblemAsync(409, "already-exists");
        await (await _world.Admin.PostJsonAsync("/api/v1/tenants/acme/subnets/db/attachments", """{"node":"n99"}""")).AssertProblemAsync(422, "validation-failed", "node");
        await (await _world.Admin.PostJsonAsync("/api/v1/tenants/acme/subnets/db/attachments", """{"node":"n3","nic":"eth7"}""")).AssertProblemAsync(422, "validation-failed", "nic");
        await (await _world.Admin.PostJsonAsync("/api/v1/tenants/globex/subnets/web/attachments", """{"node":"n3"}""")).AssertProblemAsync(404, "not-found");
        await (await _world.Admin.DeleteAsync("/api/v1/tenants/acme/subnets/web", Ct)).AssertProblemAsync(409, "has-dependents");

        // A tenant admin manages its networks but cannot put the operator's nodes on them.
        await _world.Identity.CreateUserAsync("acme", "ada", BuiltInRoles.TenantAdmin);
        using var ada = await _world.Identity.SignInAsync("acme", "ada");
        await (await ada.PostJsonAsync("/api/v1/tenants/acme/subnets/db/attachments", """{"node":"n3"}""")).AssertProblemAsync(403, "forbidden");
        var listed = await (await ada.GetAsync("/api/v1/tenants/acme/subnets/web/attachments", Ct)).ReadAsync();
        Assert.Equal(["n1", "n2"], listed.AsArray().Select(a => (string)a!["node"]!));
        Assert.Equal("Ethernet4", (string)listed[0]!["port"]!);
        Assert.Equal("leaf1", (string)listed[0]!["leaf"]!);

        // Detaching frees the address for the next node, and the partition drops the node's GUID.
        var detach = await _world.Admin.DeleteAsync("/api/v1/tenants/acme/subnets/web/attachments/n1", Ct);
        Assert.Equal(HttpStatusCode.Accepted, detach.StatusCode);
        await _world.SucceededAsync(detach.Headers.Location!.ToString());
        await (await _world.Admin.DeleteAsync("/api/v1/tenants/acme/subnets/web/attachments/n1", Ct)).AssertProblemAsync(404, "not-found");
        Assert.Equal("10.1.0.2", await _world.AttachAsync("acme", "web", "n3"));
        Assert.Equal("10.1.0.4", await _world.AttachAsync("acme", "web", "n4"));
        Assert.Equal("10.1.0.5", await _world.AttachAsync("acme", "web", "n5"));
        Assert.Equal("10.1.0.6", await _world.AttachAsync("acme", "web", "n6"));
        partitions = await (await _world.Admin.GetAsync("/api/v1/fabrics/ib/rendered?format=opensm", Ct)).Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain("0x0002c90300a1b001", partitions, StringComparison.Ordinal);

        // A /29 holds five node addresses after the gateway: the sixth attach fails with the subnet named.
        var full = await _world.Admin.PostJsonAsync("/api/v1/tenants/acme/subnets/web/attachments", """{"node":"n7"}""");
        var failed = await Poll.UntilAsync(async ct =>
        {
            var body = await (await _world.Admin.GetAsync(full.Headers.Location!.ToString(), ct)).ReadAsync();
            return (string?)body["status"]!["phase"] == "Failed" ? body : null;
        }, TimeSpan.FromSeconds(30), "the attach to a full subnet to fail");
        Assert.Contains("no free address", failed.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DriftMadeBehindTheControlPlane_IsReported_AndRepaired()
    {
        await _world.VpcAsync("acme", "main");
        await _world.SubnetAsync("acme", "web", "main", """, "ingress":[{"from":"subnet:web","protocol":"tcp","ports":"22"}], "ingressDefault":"Deny" """);
        await _world.ReadyAsync("/api/v1/tenants/acme/subnets/web");
        await _world.AttachAsync("acme", "web", "n1");
        var clean = await (await _world.Admin.GetAsync("/api/v1/fabrics/eth/drift", Ct)).ReadAsync();
        Assert.Empty(clean["drift"]!.AsArray());

        var fabric = (SimulatedFabricDriver)_world.Service<FabricDrivers>().For(new Dflare.Persistence.Network.FabricRow { Name = "eth", Type = "Ethernet", Driver = "Simulated" });
        fabric.RemoveSegment("leaf2", "acme.web");
        fabric.ReplaceAcl("leaf1", "acme.web", [], defaultAllow: true);
        var drift = await (await _world.Admin.GetAsync("/api/v1/fabrics/eth/drift", Ct)).ReadAsync();
        var items = drift["drift"]!.AsArray().Select(d => $"{d!["element"]} {d["name"]}").Order().ToList();
        Assert.Equal(["acl acme.web@leaf1", "segment acme.web@leaf2"], items);

        var repaired = await (await _world.Admin.PostAsync("/api/v1/fabrics/eth/reconcile", null, Ct)).ReadAsync();
        Assert.True((bool)repaired["repaired"]!);
        Assert.Equal(2, repaired["drift"]!.AsArray().Count);
        Assert.Empty((await (await _world.Admin.GetAsync("/api/v1/fabrics/eth/drift", Ct)).ReadAsync())["drift"]!.AsArray());
        Assert.Equal(["acme.web"], fabric.SegmentsOn("leaf2"));
        await (await _world.Admin.GetAsync("/api/v1/fabrics/nope/drift", Ct)).AssertProblemAsync(404, "not-found");
    }

    [Fact]
    public async Task TheRenderedConfiguration_IsServedPerLeaf()
    {
        await _world.VpcAsync("acme", "main");
        await _world.SubnetAsync("acme", "web", "main");
        await _world.ReadyAsync("/api/v1/tenants/acme/subnets/web");
        await _world.AttachAsync("acme", "web", "n1");
        var frr = await (await _world.Admin.GetAsync("/api/v1/fabrics/eth/rendered?format=frr&leaf=leaf1", Ct)).Content.ReadAsStringAsync(Ct);
        Assert.Contains("vrf vrf1\n vni 50000\nexit-vrf", frr, StringComparison.Ordinal);
        Assert.Contains("  vni 10000\n   rd 10.254.0.1:10000", frr, StringComparison.Ordinal);
        Assert.Contains(" neighbor 10.254.0.2 remote-as 65102", frr, StringComparison.Ordinal);
        var sonic = await (await _world.Admin.GetAsync("/api/v1/fabrics/eth/rendered?format=sonic&leaf=leaf1", Ct)).ReadAsync();
        Assert.Equal("100", (string)sonic["VLAN"]!["Vlan100"]!["vlanid"]!);
        Assert.Equal("untagged", (string)sonic["VLAN_MEMBER"]!["Vlan100|Ethernet4"]!["tagging_mode"]!);
        Assert.Equal("10000", (string)sonic["VXLAN_TUNNEL_MAP"]!["vtep|map_10000_Vlan100"]!["vni"]!);
        Assert.Equal("Vrf1", (string)sonic["VLAN_INTERFACE"]!["Vlan100"]!["vrf_name"]!);
        await (await _world.Admin.GetAsync("/api/v1/fabrics/eth/rendered?format=opensm", Ct)).AssertProblemAsync(400, "invalid-query", "format");
        await (await _world.Admin.GetAsync("/api/v1/fabrics/eth/rendered?format=frr&leaf=spine1", Ct)).AssertProblemAsync(400, "invalid-query", "leaf");
    }
}
