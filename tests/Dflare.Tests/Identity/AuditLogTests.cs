using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dflare.Core.Identity;
using Dflare.Persistence.Store;
using Dflare.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Tests.Identity;

/// <summary>
/// The audit log records every change and every refusal, and its verification finds any tampering done directly in
/// the database (edit, delete, insert, reorder, truncate, or a chain recomputed from scratch), naming the first bad
/// entry. Each case runs against a fresh log of the same requests.
/// </summary>
public sealed class AuditLogTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ChangesAndRefusals_AreRecorded_WithWhoWhatAndTheDecision()
    {
        await using var world = await IdentityWorld.StartAsync();
        await world.CreateTenantAsync("acme", "research");
        await world.CreateUserAsync("acme", "vic", BuiltInRoles.Viewer);
        using var vic = await world.SignInAsync("acme", "vic");
        await vic.PostJsonAsync("/api/v1/tenants/acme/projects", Json.Project("sneaky"));
        await world.Server.Anonymous.GetAsync("/api/v1/tenants", Ct);
        await vic.GetAsync("/api/v1/tenants/globex/projects", Ct);

        var entries = (await (await world.Admin.GetAsync("/api/v1/audit?limit=500", Ct)).ReadAsync())["items"]!.AsArray();
        Assert.Contains(entries, e => (string)e!["action"]! == "POST /api/v1/tenants" && (string)e["decision"]! == "allowed" && (int)e["status"]! == 201
            && (string)e["actor"]! == "platform/configured-admin");
        Assert.Contains(entries, e => (string)e!["action"]! == "POST /api/v1/tenants/acme/projects" && (string)e["decision"]! == "denied"
            && (int)e["status"]! == 403 && (string)e["actor"]! == "acme/vic" && (string)e["permission"]! == "projects.create" && (string)e["tenant"]! == "acme");
        Assert.Contains(entries, e => (string)e!["action"]! == "GET /api/v1/tenants" && (string)e["actor"]! == "anonymous" && (int)e["status"]! == 401);
        Assert.Contains(entries, e => (string)e!["action"]! == "GET /api/v1/tenants/globex/projects" && (string)e["decision"]! == "denied" && (int)e["status"]! == 404);
        Assert.Contains(entries, e => ((string)e!["action"]!).StartsWith("POST /realms/acme/protocol/openid-connect/token", StringComparison.Ordinal) && (string?)e["tenant"] == "acme");
        Assert.DoesNotContain(entries, e => (string)e!["action"]! == "GET /api/v1/audit"); // reads that were allowed are not recorded
        Assert.Equal(entries.Select(e => (long)e!["sequence"]!), Enumerable.Range(1, entries.Count).Select(i => (long)i));

        var verification = await VerifyAsync(world);
        Assert.True((bool)verification["intact"]!);
        Assert.Equal(entries.Count, (long)verification["entries"]!); // the verify call is recorded after it answers
    }

    public static TheoryData<string> Tampering => ["edit", "delete", "insert", "reorder", "truncate", "recompute", "recompute-and-drop-checkpoints"];

    [Theory]
    [MemberData(nameof(Tampering))]
    public async Task TamperingInTheDatabase_IsFound_AndTheFirstBadEntryIsNamed(string tampering)
    {
        await using var world = await IdentityWorld.StartAsync(settings: new Dictionary<string, string?> { ["Identity:AuditCheckpointEvery"] = "4" });
        await world.CreateTenantAsync("acme", "one", "two", "three", "four", "five");
        for (var i = 0; i < 4; i++)
        {
            await world.Server.Anonymous.GetAsync("/api/v1/tenants", Ct);
        }
        Assert.Equal(HttpStatusCode.NoContent, (await world.Admin.PostAsync("/api/v1/audit/checkpoints", null, Ct)).StatusCode);
        var intact = await VerifyAsync(world);
        Assert.True((bool)intact["intact"]!, intact.ToJsonString());
        var entries = (long)intact["entries"]!;
        Assert.True(entries >= 10);

        await using (var scope = world.Server.Server.App.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<DflareDbContext>();
            switch (tampering)
            {
                case "edit":
                    await db.AuditEntries.Where(e => e.Sequence == 5).ExecuteUpdateAsync(s => s.SetProperty(e => e.Actor, "someone-else"), Ct);
                    break;
                case "delete":
                    await db.AuditEntries.Where(e => e.Sequence == 5).ExecuteDeleteAsync(Ct);
                    break;
                case "insert":
                    // Make room at 5 by moving 5… up one, then put a forged entry there.
                    foreach (var row in await db.AuditEntries.AsNoTracking().Where(e => e.Sequence >= 5).OrderByDescending(e => e.Sequence).ToListAsync(Ct))
                    {
                        await db.AuditEntries.Where(e => e.Sequence == row.Sequence).ExecuteUpdateAsync(s => s.SetProperty(e => e.Sequence, row.Sequence + 1), Ct);
                    }
                    var four = await db.AuditEntries.AsNoTracking().SingleAsync(e => e.Sequence == 4, Ct);
                    var forged = new Dflare.Persistence.Identity.AuditEntryRow
                    {
                        Sequence = 5, At = four.At, Actor = "platform/ghost", Action = "DELETE /api/v1/tenants/acme", Decision = "allowed", Status = 204,
                        PreviousHash = four.Hash, Hash = "",
                    };
                    forged.Hash = AuditLog.HashOf(forged); // a well-formed entry: only its successor betrays it
                    db.AuditEntries.Add(forged);
                    await db.SaveChangesAsync(Ct);
                    break;
                case "reorder":
                    await db.AuditEntries.Where(e => e.Sequence == 5).ExecuteUpdateAsync(s => s.SetProperty(e => e.Sequence, -5), Ct);
                    await db.AuditEntries.Where(e => e.Sequence == 6).ExecuteUpdateAsync(s => s.SetProperty(e => e.Sequence, 5), Ct);
                    await db.AuditEntries.Where(e => e.Sequence == -5).ExecuteUpdateAsync(s => s.SetProperty(e => e.Sequence, 6), Ct);
                    break;
                case "truncate":
                    await db.AuditEntries.Where(e => e.Sequence > entries - 2).ExecuteDeleteAsync(Ct);
                    break;
                case "recompute-and-drop-checkpoints":
                    // As below, and every checkpoint deleted too: the log is longer than one interval with none.
                    await db.AuditCheckpoints.ExecuteDeleteAsync(Ct);
                    var all = await db.AuditEntries.OrderBy(e => e.Sequence).ToListAsync(Ct);
                    all[4].Actor = "someone-else";
                    for (var i = 4; i < all.Count; i++)
                    {
                        all[i].PreviousHash = all[i - 1].Hash;
                        all[i].Hash = AuditLog.HashOf(all[i]);
                    }
                    await db.SaveChangesAsync(Ct);
                    break;
                case "recompute":
                    // Someone who knows the algorithm edits entry 5 and recomputes every hash after it: only the
                    // signed checkpoints can tell.
                    var rows = await db.AuditEntries.OrderBy(e => e.Sequence).ToListAsync(Ct);
                    rows[4].Actor = "someone-else";
                    for (var i = 4; i < rows.Count; i++)
                    {
                        rows[i].PreviousHash = rows[i - 1].Hash;
                        rows[i].Hash = AuditLog.HashOf(rows[i]);
                    }
                    await db.SaveChangesAsync(Ct);
                    break;
            }
        }

        var verification = await VerifyAsync(world);
        Assert.False((bool)verification["intact"]!, verification.ToJsonString());
        var expected = tampering switch
        {
            "edit" or "delete" or "reorder" => 5L,
            "insert" => 6L, // the forged entry chains correctly; the real one after it no longer does
            "truncate" => entries - 1,
            "recompute-and-drop-checkpoints" => 1L,
            _ => 5L,
        };
        if (tampering == "recompute")
        {
            // The chain is consistent again: the checkpoint after entry 5 no longer matches, so the first entry after
            // the last good checkpoint (at 4) is named.
            Assert.Equal(5L, (long)verification["firstBadSequence"]!);
            Assert.Contains("rewritten", (string)verification["problem"]!, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(expected, (long)verification["firstBadSequence"]!);
        }
    }

    private static async Task<JsonNode> VerifyAsync(IdentityWorld world)
    {
        var response = await world.Admin.PostAsync("/api/v1/audit/verify", null, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadAsync();
    }
}
