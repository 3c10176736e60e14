using System.Text;
using System.Text.Json.Nodes;

namespace Dflare.Core.Network;

/// <summary>
/// What an InfiniBand subnet manager is given for the tenants' partitions: OpenSM's <c>partitions.conf</c>, and the
/// request bodies of NVIDIA UFM's PKey REST API (<c>/ufmRest/resources/pkeys</c>).
/// </summary>
public static class InfinibandRenderer
{
    /// <summary>The default partition keeps hosts as limited members, so a tenant's nodes can reach the subnet manager
    /// but not each other across tenants; each tenant partition lists its port GUIDs as full or limited members.</summary>
    public static string OpenSmPartitions(FabricIntent intent)
    {
        var text = new StringBuilder();
        text.Append("# Written by Dflare for fabric ").Append(intent.Fabric).Append("; edits are replaced on the next reconcile.\n");
        text.Append("Default=0x7fff, ipoib : ALL=limited, SELF=full ;\n");
        foreach (var partition in intent.Partitions.OrderBy(p => p.PKey))
        {
            var members = partition.Members.OrderBy(m => m.PortGuid, StringComparer.OrdinalIgnoreCase)
                .Select(m => $"{m.PortGuid.ToLowerInvariant()}={(m.Full ? "full" : "limited")}").ToList();
            text.Append(partition.Name).Append('=').Append(Hex(partition.PKey)).Append(", ipoib, indx0 : ")
                .Append(members.Count == 0 ? "" : string.Join(", ", members)).Append(" ;\n");
        }
        return text.ToString();
    }

    /// <summary>The UFM calls that make a partition: create the PKey (<c>POST /ufmRest/resources/pkeys/add</c>), then set
    /// its GUIDs with their memberships (<c>POST /ufmRest/resources/pkeys</c>).</summary>
    public static IReadOnlyList<(string Method, string Path, JsonObject Body)> UfmRequests(PartitionIntent partition)
    {
        var guids = partition.Members.OrderBy(m => m.PortGuid, StringComparer.OrdinalIgnoreCase).ToList();
        var requests = new List<(string, string, JsonObject)>
        {
            ("POST", "/ufmRest/resources/pkeys/add", new JsonObject
            {
                ["pkey"] = Hex(partition.PKey), ["partition_name"] = partition.Name, ["index0"] = true, ["ip_over_ib"] = true,
            }),
        };
        if (guids.Count > 0)
        {
            requests.Add(("POST", "/ufmRest/resources/pkeys", new JsonObject
            {
                ["pkey"] = Hex(partition.PKey),
                ["guids"] = new JsonArray([.. guids.Select(m => (JsonNode)m.PortGuid[2..].ToLowerInvariant())]),
                ["memberships"] = new JsonArray([.. guids.Select(m => (JsonNode)(m.Full ? "full" : "limited"))]),
                ["index0"] = true,
                ["ip_over_ib"] = true,
            }));
        }
        return requests;
    }

    public static string Hex(int pkey) => $"0x{pkey:x4}";
}
