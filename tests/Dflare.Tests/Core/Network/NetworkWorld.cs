using System.Net;
using System.Text.Json.Nodes;
using Dflare.Core.Network;
using Dflare.Tests.Identity;
using Dflare.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Tests.Core.Network;

/// <summary>
/// A server with one Ethernet fabric of two leaves (nodes n1…n8 cabled alternately to them), one InfiniBand fabric with
/// an HCA per node, and the pools both need, all registered through the API.
/// </summary>
public sealed class NetworkWorld : IAsyncDisposable
{
    public const int Nodes = 8;

    private NetworkWorld(IdentityWorld identity) => Identity = identity;

    public IdentityWorld Identity { get; }

    public HttpClient Admin => Identity.Admin;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Starts the world; <paramref name="driver"/> is <c>Simulated</c> or <c>Lab</c>.</summary>
    public static async Task<NetworkWorld> StartAsync(string driver = "Simulated", StoreTarget? store = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?> { ["Workflows:PollMilliseconds"] = "50" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        var world = new NetworkWorld(await IdentityWorld.StartAsync(store, all));
        var links = string.Join(",", Enumerable.Range(1, Nodes).Select(i => $$$"""{"node":"n{{{i}}}","nic":"eth0","switch":"leaf{{{2 - (i % 2)}}}","port":"Ethernet{{{i * 4}}}"}"""));
        await world.CreatedAsync("/api/v1/fabrics", $$$"""
            {"metadata":{"name":"eth"},"spec":{"type":"Ethernet","driver":"{{{driver}}}",
             "switches":[{"name":"leaf1","role":"Leaf","asn":65101,"vtep":"10.254.0.1","rack":"r1"},
                         {"name":"leaf2","role":"Leaf","asn":65102,"vtep":"10.254.0.2","rack":"r2"},
                         {"name":"spine1","role":"Spine","asn":65000}],
             "links":[{{{links}}}]}}
            """);
        var hcas = string.Join(",", Enumerable.Range(1, Nodes).Select(i => $$$"""{"node":"n{{{i}}}","port":1,"portGuid":"0x0002c90300a1b{{{i:x3}}}","switch":"ib-leaf{{{2 - (i % 2)}}}"}"""));
        await world.CreatedAsync("/api/v1/fabrics", $$$"""
            {"metadata":{"name":"ib"},"spec":{"type":"InfiniBand","driver":"{{{driver}}}",
             "switches":[{"name":"ib-leaf1","role":"Leaf"},{"name":"ib-leaf2","role":"Leaf"},{"name":"ib-spine1","role":"Spine"}],
             "hcas":[{{{hcas}}}],"subnetManager":{"kind":"OpenSm"} } }
            """);
        await world.PoolAsync("vrfs", "eth", """ "kind":"Vrf","start":1,"end":4000 """);
        await world.PoolAsync("l3vnis", "eth", """ "kind":"L3Vni","start":50000,"end":59999 """);
        await world.PoolAsync("l2vnis", "eth", """ "kind":"L2Vni","start":10000,"end":19999 """);
        await world.PoolAsync("vlans", "eth", """ "kind":"Vlan","start":100,"end":3999 """);
        await world.PoolAsync("tenant-v4", "eth", """ "kind":"Ipv4","prefix":"10.128.0.0/12","subnetLength":24 """);
        await world.PoolAsync("tenant-v6", "eth", """ "kind":"Ipv6","prefix":"fd00:df1::/48","subnetLength":64 """);
        await world.PoolAsync("pkeys", "ib", """ "kind":"PKey","start":1,"end":32766 """);
        return world;
    }

    public T Service<T>() where T : notnull => Identity.Server.Server.App.Services.GetRequiredService<T>();

    public async Task CreatedAsync(string path, string json)
    {
        var response = await Admin.PostJsonAsync(path, json);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
    }

    public Task PoolAsync(string name, string fabric, string spec) =>
        CreatedAsync("/api/v1/network-pools", $$$"""{"metadata":{"name":"{{{name}}}"},"spec":{"fabric":"{{{fabric}}}",{{{spec}}} }}""");

    public Task VpcAsync(string tenant, string name, string extra = "") =>
        CreatedAsync($"/api/v1/tenants/{tenant}/vpcs", $$$"""{"metadata":{"name":"{{{name}}}"},"spec":{"project":"p","fabric":"eth"{{{extra}}} }}""");

    public Task SubnetAsync(string tenant, string name, string vpc, string extra = "") =>
        CreatedAsync($"/api/v1/tenants/{tenant}/subnets", $$$"""{"metadata":{"name":"{{{name}}}"},"spec":{"vpc":"{{{vpc}}}"{{{extra}}} }}""");

    /// <summary>Waits for the object's <c>status.phase</c> to be Ready.</summary>
    public Task<JsonNode> ReadyAsync(string path) => Poll.UntilAsync(async ct =>
    {
        var body = await (await Admin.GetAsync(path, ct)).ReadAsync();
        return (string?)body["status"]?["phase"] == NetworkPhases.Ready ? body : null;
    }, TimeSpan.FromSeconds(60), $"{path} to be Ready");

    /// <summary>Puts a node on a subnet and waits for the operation to succeed; answers its address.</summary>
    public async Task<string> AttachAsync(string tenant, string subnet, string node)
    {
        var response = await Admin.PostJsonAsync($"/api/v1/tenants/{tenant}/subnets/{subnet}/attachments", $$$"""{"node":"{{{node}}}"}""");
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync(Ct));
        var operation = await SucceededAsync(response.Headers.Location!.ToString());
        return (string)operation["status"]!["steps"]![0]!["output"]!["address"]!;
    }

    public async Task<JsonNode> SucceededAsync(string operation) => await Poll.UntilAsync(async ct =>
    {
        var body = await (await Admin.GetAsync(operation, ct)).ReadAsync();
        var phase = (string?)body["status"]!["phase"];
        Assert.True(phase is not ("Failed" or "Cancelled"), body.ToJsonString());
        return phase == "Succeeded" ? body : null;
    }, TimeSpan.FromSeconds(60), $"{operation} to succeed");

    public async Task TenantAsync(string name) => await Identity.CreateTenantAsync(name, "p");

    public ValueTask DisposeAsync() => Identity.DisposeAsync();
}
