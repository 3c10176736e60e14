using System.Text.Json.Nodes;
using Dflare.Core.Workflows;
using Microsoft.EntityFrameworkCore;

namespace Dflare.Core.Network;

/// <summary>Where the registered fabrics say a node is cabled, and which subnets it is on: provisioning's network step.</summary>
public static class NodeCabling
{
    public static async Task<StepResult> DescribeAsync(StepContext context, string node, CancellationToken cancellationToken)
    {
        var ports = new JsonArray();
        var subnets = new JsonArray();
        await context.WriteAsync(async (db, token) =>
        {
            foreach (var fabric in await db.Fabrics.AsNoTracking().OrderBy(f => f.Name).ToListAsync(token))
            {
                var spec = FabricKind.SpecOf(fabric);
                foreach (var link in (spec.Links ?? []).Where(l => l.Node == node))
                {
                    ports.Add(new JsonObject { ["fabric"] = fabric.Name, ["nic"] = link.Nic, ["leaf"] = link.Switch, ["port"] = link.Port });
                }
                foreach (var hca in (spec.Hcas ?? []).Where(h => h.Node == node))
                {
                    ports.Add(new JsonObject { ["fabric"] = fabric.Name, ["portGuid"] = hca.PortGuid, ["leaf"] = hca.Switch, ["port"] = hca.Port });
                }
            }
            var attached = await (from a in db.NetworkAttachments.AsNoTracking()
                                  join s in db.Subnets.AsNoTracking() on a.SubnetId equals s.Id
                                  join t in db.Tenants.AsNoTracking() on s.TenantId equals t.Id
                                  where a.Node == node
                                  select new { Tenant = t.Name, Subnet = s.Name, a.Nic, a.Address }).ToListAsync(token);
            foreach (var a in attached)
            {
                subnets.Add(new JsonObject { ["tenant"] = a.Tenant, ["subnet"] = a.Subnet, ["nic"] = a.Nic, ["address"] = a.Address });
            }
        }, cancellationToken);
        return StepResult.Done(new JsonObject
        {
            ["ports"] = ports,
            ["subnets"] = subnets,
            ["note"] = ports.Count == 0 ? "no registered fabric lists this node's cabling; it boots on DHCP and cannot join tenant subnets until one does" : null,
        });
    }
}
