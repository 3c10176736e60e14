using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Dflare.Core.Identity;
using Dflare.Tests.Identity;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Core.Volumes;

/// <summary>Volumes through the API on a real POSIX backend: provisioned by the workflow, isolated by tenant, checked
/// field by field, deleted after their grace period, and reconciled against the backend.</summary>
public sealed class VolumeApiTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();
    private IdentityWorld _world = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Root => Path.Combine(_directory.Path, "volumes");

    public async ValueTask InitializeAsync()
    {
        _world = await IdentityWorld.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Volumes:DeletionGrace"] = "00:00:00",
            ["Workflows:PollMilliseconds"] = "50",
        });
        await _world.CreateTenantAsync("acme", "research");
        await _world.CreateTenantAsync("globex", "lab");
        await _world.CreateUserAsync("acme", "ada", BuiltInRoles.Member);
        await _world.CreateUserAsync("globex", "gus", BuiltInRoles.TenantAdmin);
        var backend = await _world.Admin.PostJsonAsync("/api/v1/storage-backends", $$$"""
            {"metadata":{"name":"scratch"},"spec":{"tier":"HighPerformance","driver":"Posix","path":"{{{Root}}}",
             "capacityBytes":10737418240,"defaultVolumeBytes":1048576,"maxBytesPerTenant":5368709120}}
            """);
        Assert.True(backend.StatusCode == HttpStatusCode.Created, await backend.Content.ReadAsStringAsync(Ct));
    }

    public async ValueTask DisposeAsync()
    {
        await _world.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task AVolume_IsProvisionedWithItsAcl_AndAnotherTenantCannotSeeOrTouchIt()
    {
        using var ada = await _world.SignInAsync("acme", "ada");
        var created = await ada.PostJsonAsync("/api/v1/tenants/acme/volumes", """
            {"metadata":{"name":"data"},"spec":{"project":"research","backend":"scratch","sizeBytes":2097152,
             "acl":[{"principal":"User","id":61001,"access":"ReadWrite"},{"principal":"Group","id":62003,"access":"Read"}]}}
            """);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Ct));
        var ready = await ReadyAsync(ada, "data");
        var location = (string)ready["status"]!["location"]!;
        Assert.StartsWith(Path.Combine(Root, "acme", "research", "data-"), location, StringComparison.Ordinal);
        var acl = await GetFaclAsync(location);
        Assert.Contains("user:61001:rwx", acl, StringComparison.Ordinal);
        Assert.Contains("group:62003:r-x", acl, StringComparison.Ordinal);
        Assert.Contains("other::---", acl, StringComparison.Ordinal);
        Assert.Equal(1024L, (long)ready["spec"]!["inodes"]!); // one per 64 KiB, at least 1024

        using var gus = await _world.SignInAsync("globex", "gus");
        await (await gus.GetAsync("/api/v1/tenants/acme/volumes/data", Ct)).AssertProblemAsync(404, "not-found");
        await (await gus.DeleteAsync("/api/v1/tenants/acme/volumes/data", Ct)).AssertProblemAsync(404, "not-found");
        var list = await (await gus.GetAsync("/api/v1/tenants/globex/volumes", Ct)).ReadAsync();
        Assert.Empty(list["items"]!.AsArray());
    }

    [Fact]
    public async Task AVolume_EmitsItsUsage_ProvisionedResizedAndDeleted_Once()
    {
        using var ada = await _world.SignInAsync("acme", "ada");
        Assert.Equal(HttpStatusCode.Created, (await ada.PostJsonAsync("/api/v1/tenants/acme/volumes", """{"metadata":{"name":"billed"},"spec":{"project":"research","backend":"scratch","sizeBytes":2097152}}""")).StatusCode);
        var volume = await ReadyAsync(ada, "billed");
        Assert.Equal(HttpStatusCode.OK, (await ada.PutJsonAsync("/api/v1/tenants/acme/volumes/billed", """{"metadata":{"name":"billed"},"spec":{"project":"research","backend":"scratch","sizeBytes":4194304}}""")).StatusCode);
        await Poll.UntilAsync(async ct => await EventsAsync((string)volume["metadata"]!["uid"]!, ct) is { Count: 2 } e ? e : null, TimeSpan.FromSeconds(30), "the resize's usage event");
        Assert.Equal(HttpStatusCode.NoContent, (await ada.DeleteAsync("/api/v1/tenants/acme/volumes/billed", Ct)).StatusCode);
        var events = await EventsAsync((string)volume["metadata"]!["uid"]!, Ct);
        Assert.Equal(["dflare.volume.provisioned", "dflare.volume.resized", "dflare.volume.deleted"], events.Select(e => e.Type));
        Assert.Equal([2097152L, 4194304L], events.Take(2).Select(e => (long)JsonNode.Parse(e.Data)!["sizeBytes"]!));
        Assert.All(events, e => Assert.Equal("acme", e.Tenant));
        Assert.Equal("HighPerformance", (string)JsonNode.Parse(events[2].Data)!["tier"]!);
    }

    private async Task<List<Dflare.Persistence.Metering.UsageEventRow>> EventsAsync(string uid, CancellationToken cancellationToken)
    {
        await using var db = Dflare.Persistence.Store.StoreContexts.Create(_world.Server.Store.Options);
        var subject = $"volume/{Guid.Parse(uid):N}";
        return await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(
            db.UsageEvents.Where(e => e.Subject == subject).OrderBy(e => e.Time), cancellationToken);
    }

    [Fact]
    public async Task AReplace_KeepsWhatItLeavesOut_AndABackendCannotMoveUnderItsVolumes()
    {
        using var ada = await _world.SignInAsync("acme", "ada");
        Assert.Equal(HttpStatusCode.Created, (await ada.PostJsonAsync("/api/v1/tenants/acme/volumes", """
            {"metadata":{"name":"keep"},"spec":{"project":"research","backend":"scratch","accessMode":"ReadOnlyMany",
             "acl":[{"principal":"Group","id":62001,"access":"ReadWrite"}]}}
            """)).StatusCode);
        await ReadyAsync(ada, "keep");
        var replaced = await ada.PutJsonAsync("/api/v1/tenants/acme/volumes/keep", """{"metadata":{"name":"keep"},"spec":{"project":"research","backend":"scratch","sizeBytes":3145728}}""");
        Assert.True(replaced.StatusCode == HttpStatusCode.OK, await replaced.Content.ReadAsStringAsync(Ct));
        var volume = await ReadyAsync(ada, "keep");
        Assert.Equal(3145728L, (long)volume["spec"]!["sizeBytes"]!);
        Assert.Equal("ReadOnlyMany", (string)volume["spec"]!["accessMode"]!);
        Assert.Equal(62001, (int)volume["spec"]!["acl"]![0]!["id"]!);
        Assert.Contains("group:62001:rwx", await GetFaclAsync((string)volume["status"]!["location"]!), StringComparison.Ordinal);

        await (await ada.PutJsonAsync("/api/v1/tenants/acme/volumes/keep", """{"metadata":{"name":"keep"},"spec":{"project":"research","backend":"elsewhere"}}"""))
            .AssertProblemAsync(422, "validation-failed", "spec.backend");
        var moved = await _world.Admin.PutJsonAsync("/api/v1/storage-backends/scratch", $$$"""
            {"metadata":{"name":"scratch"},"spec":{"tier":"HighPerformance","driver":"Posix","path":"{{{Root}}}-moved","capacityBytes":10737418240}}
            """);
        await moved.AssertProblemAsync(422, "validation-failed", "spec.path");
    }

    [Fact]
    public async Task BadVolumes_AreRefused_FieldByField_AndNothingIsMade()
    {
        using var ada = await _world.SignInAsync("acme", "ada");
        var response = await ada.PostJsonAsync("/api/v1/tenants/acme/volumes", """
            {"metadata":{"name":"bad"},"spec":{"project":"research","backend":"scratch","sizeBytes":0,"accessMode":"Sometimes",
             "mountPath":"relative/path","acl":[{"principal":"User","id":0,"access":"ReadWrite"}]}}
            """);
        var problem = await response.AssertProblemAsync(422, "validation-failed");
        Assert.Equal(["spec.sizeBytes", "spec.accessMode", "spec.mountPath", "spec.acl[0].id"], problem["errors"]!.AsArray().Select(e => (string)e!["field"]!));
        await (await ada.PostJsonAsync("/api/v1/tenants/acme/volumes", """{"metadata":{"name":"bad"},"spec":{"project":"lab","backend":"nowhere"}}"""))
            .AssertProblemAsync(422, "validation-failed", "spec.backend");
        await (await ada.PostJsonAsync("/api/v1/tenants/acme/volumes", """{"metadata":{"name":"bad"},"spec":{"project":"lab","backend":"scratch"}}"""))
            .AssertProblemAsync(422, "validation-failed", "spec.project"); // globex's project, not acme's
        await (await ada.PostJsonAsync("/api/v1/tenants/acme/volumes", """{"metadata":{"name":"huge"},"spec":{"project":"research","backend":"scratch","sizeBytes":6442450944}}"""))
            .AssertProblemAsync(422, "validation-failed", "spec.sizeBytes"); // over the per-tenant limit
        await (await ada.PostJsonAsync("/api/v1/tenants/acme/volumes", """
            {"metadata":{"name":"dup"},"spec":{"project":"research","backend":"scratch",
             "acl":[{"principal":"User","id":61001,"access":"Read"},{"principal":"User","id":61001,"access":"ReadWrite"},null,{"principal":"User","id":65534,"access":"Read"}]}}
            """)).AssertProblemAsync(422, "validation-failed", "spec.acl[2]");
        Assert.Empty((await (await ada.GetAsync("/api/v1/tenants/acme/volumes", Ct)).ReadAsync())["items"]!.AsArray());
        Assert.False(Directory.Exists(Path.Combine(Root, "acme")));
    }

    [Fact]
    public async Task DeletedVolumes_ArePurgedAfterTheirGrace_AndTheReconcilerFindsStrays()
    {
        using var ada = await _world.SignInAsync("acme", "ada");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await ada.PostJsonAsync("/api/v1/tenants/acme/volumes",
                $$$"""{"metadata":{"name":"v{{{i}}}"},"spec":{"project":"research","backend":"scratch"}}""")).StatusCode);
        }
        for (var i = 0; i < 3; i++)
        {
            await ReadyAsync(ada, $"v{i}");
        }
        await (await _world.Admin.DeleteAsync("/api/v1/tenants/acme/projects/research", Ct)).AssertProblemAsync(409, "has-dependents");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.NoContent, (await ada.DeleteAsync($"/api/v1/tenants/acme/volumes/v{i}", Ct)).StatusCode);
        }
        await Poll.UntilAsync(_ => Task.FromResult(Directory.Exists(Path.Combine(Root, "acme")) ? null : "gone"), TimeSpan.FromSeconds(30), "the deleted volumes to be purged");

        Directory.CreateDirectory(Path.Combine(Root, "acme", "research", "stray-0001"));
        var reconciliation = await (await _world.Admin.GetAsync("/api/v1/storage-backends/scratch/reconciliation", Ct)).ReadAsync();
        Assert.Equal(["acme/research/stray-0001"], reconciliation["orphans"]!.AsArray().Select(o => (string)o!));
        Assert.Empty(reconciliation["missing"]!.AsArray());
    }

    private static async Task<JsonNode> ReadyAsync(HttpClient client, string name) =>
        await Poll.UntilAsync(async ct =>
        {
            var volume = await (await client.GetAsync($"/api/v1/tenants/acme/volumes/{name}", ct)).ReadAsync();
            var phase = (string?)volume["status"]?["phase"];
            Assert.NotEqual("Failed", phase);
            return phase == "Ready" ? volume : null;
        }, TimeSpan.FromSeconds(30), $"volume {name} to be Ready");

    private static async Task<string> GetFaclAsync(string path)
    {
        var start = new ProcessStartInfo("getfacl", ["-p", path]) { RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        return output;
    }
}
