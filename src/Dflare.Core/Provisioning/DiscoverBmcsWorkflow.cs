using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dflare.Core.Inventory;
using Dflare.Core.Provisioning.Bmc;
using Dflare.Core.Secrets;
using Dflare.Core.Workflows;
using Dflare.Persistence.Inventory;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Provisioning;

/// <summary>What an operator asks discovery to crawl: BMC addresses sharing one set of credentials, for one rack and SKU.</summary>
public sealed record DiscoveryRequest(IReadOnlyList<string>? Addresses, string? Username, string? Password, string? Rack, string? Sku, string? Image);

/// <summary>One BMC as discovery found it.</summary>
public sealed record DiscoveredBmc(string Address, string? SerialNumber, string? Model, int Gpus, string? Error);

/// <summary>
/// Discovery: read every listed BMC (sixteen at a time) and enrol each machine that answered and is not enrolled yet,
/// named after its rack and serial number. Unreachable and refusing BMCs are listed in the operation's output, not
/// failures: a crawl of a row of racks always finds some machines off.
/// </summary>
public static partial class DiscoverBmcsWorkflow
{
    public const string Name = "discover-bmcs";
    public const int MaxAddresses = 1024;

    public static WorkflowDefinition Create(BmcDrivers drivers, Func<SecretProtector> secrets, TimeProvider time) => new()
    {
        Name = Name,
        Steps =
        [
            new StepDefinition
            {
                Name = "crawl",
                // 1,024 silent BMCs, sixteen at a time, at a driver timeout of 10 s each: about 11 minutes.
                Timeout = TimeSpan.FromMinutes(15),
                Execute = async (context, ct) =>
                {
                    var input = context.Input!;
                    var username = (string)input["username"]!;
                    var password = secrets().Open(NodeKind.BmcPasswordPurpose, (string)input["passwordSealed"]!);
                    var addresses = input["addresses"]!.AsArray().Select(a => (string)a!).Distinct(StringComparer.Ordinal).ToList();
                    var found = new DiscoveredBmc[addresses.Count];
                    await Parallel.ForAsync(0, addresses.Count, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (i, token) =>
                    {
                        var endpoint = new BmcEndpoint(new Uri(addresses[i]), username, password);
                        try
                        {
                            var system = await drivers.For(endpoint.Address).GetSystemAsync(endpoint, token);
                            found[i] = new DiscoveredBmc(addresses[i], system.SerialNumber, system.Model, system.Gpus.Count, null);
                        }
                        catch (BmcException ex)
                        {
                            found[i] = new DiscoveredBmc(addresses[i], null, null, 0, $"{ex.Failure}: {ex.Message}");
                        }
                        catch (Exception ex) when (ex is not OperationCanceledException || !token.IsCancellationRequested)
                        {
                            // One odd BMC must not sink the crawl of the others.
                            found[i] = new DiscoveredBmc(addresses[i], null, null, 0, $"Protocol: {ex.Message}");
                        }
                    });
                    return StepResult.Done(JsonSerializer.SerializeToNode(found));
                },
            },
            new StepDefinition
            {
                Name = "enroll",
                Execute = async (context, ct) =>
                {
                    var input = context.Input!;
                    var found = context.Outputs["crawl"].Deserialize<List<DiscoveredBmc>>()!;
                    var enrolled = new JsonArray();
                    var known = new JsonArray();
                    await context.WriteAsync(async (db, token) =>
                    {
                        var addresses = found.Select(f => f.Address).ToList();
                        var existing = await db.Nodes.Where(n => addresses.Contains(n.BmcAddress)).Select(n => n.BmcAddress).ToListAsync(token);
                        var names = (await db.Nodes.Select(n => n.Name).ToListAsync(token)).ToHashSet(StringComparer.Ordinal);
                        var now = time.GetUtcNow();
                        foreach (var bmc in found.Where(f => f.Error is null))
                        {
                            if (existing.Contains(bmc.Address))
                            {
                                known.Add(bmc.Address);
                                continue;
                            }
                            // A BMC without a usable serial ("", "To Be Filled By O.E.M.", one shared by several) is
                            // named after its address instead, so names never collide.
                            var name = NodeName((string)input["rack"]!, bmc.SerialNumber!);
                            if (string.IsNullOrWhiteSpace(bmc.SerialNumber) || names.Contains(name))
                            {
                                name = NodeName((string)input["rack"]!, "bmc-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(bmc.Address)))[..12]);
                            }
                            if (!names.Add(name))
                            {
                                known.Add(bmc.Address);
                                continue;
                            }
                            db.Nodes.Add(new NodeRow
                            {
                                Id = Guid.CreateVersion7(now),
                                Name = name,
                                Rack = (string)input["rack"]!,
                                Sku = (string)input["sku"]!,
                                Image = (string?)input["image"],
                                BmcAddress = bmc.Address,
                                BmcUsername = (string)input["username"]!,
                                BmcPasswordSealed = (string)input["passwordSealed"]!,
                                State = nameof(NodeState.Enrolled),
                                CreatedAt = now,
                                UpdatedAt = now,
                                ResourceVersion = 1,
                            });
                            enrolled.Add(name);
                        }
                    }, ct);
                    return StepResult.Done(new JsonObject
                    {
                        ["enrolled"] = enrolled,
                        ["alreadyEnrolled"] = known,
                        ["unreachable"] = new JsonArray([.. found.Where(f => f.Error is not null).Select(f => (JsonNode)new JsonObject { ["address"] = f.Address, ["error"] = f.Error })]),
                    });
                },
            },
        ],
    };

    /// <summary><c>{rack}-{serial}</c> as a DNS label: lower case, other characters as '-', at most 63.</summary>
    public static string NodeName(string rack, string serial)
    {
        var name = $"{rack}-{NotLabel().Replace(serial.ToLowerInvariant(), "-")}".Trim('-');
        return name.Length <= 63 ? name : name[..63].TrimEnd('-');
    }

    [GeneratedRegex("[^a-z0-9-]+")]
    private static partial Regex NotLabel();
}
