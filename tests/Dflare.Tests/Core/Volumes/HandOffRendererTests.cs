using Dflare.Core.Volumes;

namespace Dflare.Tests.Core.Volumes;

/// <summary>The Lustre and NFS hand-offs say exactly what an administrator would type, for exactly the nodes allowed.</summary>
public sealed class HandOffRendererTests
{
    private static readonly VolumeSpec Volume = new("acme", "research", "data", Guid.Parse("0195f0a2-0000-7000-8000-000000000001"), 10L << 30, 1_000_000,
        [new VolumeAclEntry(AclPrincipal.Group, 62001, VolumeAccess.ReadWrite), new VolumeAclEntry(AclPrincipal.User, 61005, VolumeAccess.Read)]);

    private static readonly StorageClient[] Clients = [new("east-r1-n01", "10.20.0.11@o2ib"), new("east-r1-n02", "10.20.0.12@o2ib")];

    [Fact]
    public void Lustre_SetsTheProjectQuota_TheAcl_AndANodemapOfOnlyTheAllowedNodes()
    {
        var commands = LustreHandOff.Commands("scratch", "/lustre/scratch", Volume, 4242, Clients);
        var dir = "/lustre/scratch/acme/research/data-0195f0a2000070008000000000000001";
        Assert.Equal(
        [
            $"mkdir -p {dir}",
            $"lfs project -p 4242 -s -r {dir}",
            "lfs setquota -p 4242 -b 10485760 -B 10485760 -i 1000000 -I 1000000 /lustre/scratch",
            $"setfacl --set u::rwx,g::---,o::---,m::rwx,g:62001:rwx,u:61005:r-x {dir}",
            "lctl nodemap_add dflacme",
            "lctl nodemap_modify --name dflacme --property fileset --value /acme",
            "lctl nodemap_modify --name dflacme --property trusted --value 0",
            "lctl nodemap_modify --name dflacme --property admin --value 0",
            "lctl nodemap_add_range --name dflacme --range 10.20.0.11@o2ib",
            "lctl nodemap_add_range --name dflacme --range 10.20.0.12@o2ib",
            "lctl nodemap_activate 1 # filesystem scratch",
        ], commands);
        Assert.True(LustreHandOff.NodemapName("a-very-long-tenant-name").Length <= 16);
        Assert.NotEqual(LustreHandOff.NodemapName("a-very-long-tenant-one"), LustreHandOff.NodemapName("a-very-long-tenant-two"));
    }

    [Fact]
    public void Nfs_ExportsToTheAllowedNodesOnly_WithRootSquashed_AndNeverToNobody()
    {
        var nodes = new[] { new StorageClient("n1", "10.30.0.11"), new StorageClient("n2", "10.30.0.12") };
        Assert.Equal(
            "/export/acme/research/data-0195f0a2000070008000000000000001 10.30.0.11(ro,sync,root_squash,no_subtree_check,sec=sys) 10.30.0.12(ro,sync,root_squash,no_subtree_check,sec=sys)",
            NfsHandOff.ExportsLine("/export/", Volume, readOnly: true, nodes));
        Assert.StartsWith("# ", NfsHandOff.ExportsLine("/export", Volume, readOnly: false, []), StringComparison.Ordinal);
        var plan = NfsHandOff.MountPlan("nfs1", "/export", Volume, "/mnt/data", readOnly: false, rdma: true, nodes);
        Assert.Equal(new MountPlanEntry("n1", "nfs1:/export/acme/research/data-0195f0a2000070008000000000000001", "/mnt/data", "nfs4", "rw,hard,nconnect=8,proto=rdma,port=20049"), plan[0]);
    }

    [Fact]
    public void LustreMountPlans_NameTheFilesetOfTheVolume()
    {
        var plan = LustreHandOff.MountPlan("10.20.0.1@o2ib", "scratch", Volume, "/mnt/data", readOnly: true, Clients);
        Assert.Equal(2, plan.Count);
        Assert.Equal("10.20.0.1@o2ib:/scratch/acme/research/data-0195f0a2000070008000000000000001", plan[1].Source);
        Assert.Equal("ro,flock,user_xattr", plan[1].Options);
    }
}
