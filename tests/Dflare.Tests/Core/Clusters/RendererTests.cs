using Dflare.Core.Clusters;
using YamlDotNet.RepresentationModel;

namespace Dflare.Tests.Core.Clusters;

/// <summary>What nodes are given: Slurm's files from the plan (GRES by model and MIG, partitions, the leaf tree, the
/// account tree) and Kubernetes' bootstrap (kubeadm v1beta4, three etcd members for an HA control plane, OIDC from the
/// tenant realm, the GPU runtime).</summary>
public sealed class RendererTests
{
    private static ClusterPlan Plan(string type, int nodes, ClusterSpec? spec = null, string mig = "none", int controlPlane = 1) => new(
        Guid.Parse("01a24100-8e35-7e30-81a6-c23dfd09c3da"), "acme", "research", "train", type,
        spec ?? new ClusterSpec { Type = type, Kubernetes = new KubernetesSpec("1.34", controlPlane) },
        [.. Enumerable.Range(1, nodes).Select(i => new PlanNode($"n{i}", i <= 2 ? "gpu" : "big", $"10.128.0.{i + 1}", "H100-SXM5-80GB", 8, 112, 2048,
            $"r{(i + 1) / 2}", $"leaf{(i + 1) / 2}", $"ib{(i + 1) / 2}", mig))],
        [], "https://dflare.example/realms/acme");

    [Fact]
    public void SlurmConf_HasEveryNodeWithItsGres_ThePartitions_AndFairSharePriority()
    {
        var spec = new ClusterSpec
        {
            Type = ClusterTypes.Slurm,
            Slurm = new SlurmSpec([new SlurmPartitionSpec("gpu", ["gpu"], Default: false, MaxTime: "48h"), new SlurmPartitionSpec("big", ["big"], Default: true)],
                [new SlurmQosSpec("normal", 10, 16)], [new SlurmAccountSpec("llm", 10, ["alice"], ["normal"])]),
        };
        var files = SlurmRenderer.All(Plan(ClusterTypes.Slurm, 4, spec), SlurmRenderOptions.Production);
        var conf = files["slurm.conf"];
        Assert.Contains("ClusterName=acme-train", conf, StringComparison.Ordinal);
        Assert.Contains("SlurmctldHost=n1(10.128.0.2)", conf, StringComparison.Ordinal);
        Assert.Contains("NodeName=n3 NodeAddr=10.128.0.4 CPUs=112 RealMemory=2097152 Gres=gpu:h100:8 State=UNKNOWN", conf, StringComparison.Ordinal);
        Assert.Contains("PartitionName=gpu Nodes=n1,n2 Default=NO MaxTime=2-00:00:00 State=UP", conf, StringComparison.Ordinal);
        Assert.Contains("PartitionName=big Nodes=n3,n4 Default=YES MaxTime=UNLIMITED State=UP", conf, StringComparison.Ordinal);
        Assert.Contains("PriorityType=priority/multifactor", conf, StringComparison.Ordinal);
        Assert.Contains("AccountingStorageType=accounting_storage/slurmdbd", conf, StringComparison.Ordinal);
        Assert.Contains("NodeName=n4 Name=gpu Type=h100 File=/dev/nvidia[0-7]", files["gres.conf"], StringComparison.Ordinal);
        Assert.Equal("SwitchName=ib1 Nodes=n1,n2\nSwitchName=ib2 Nodes=n3,n4\nSwitchName=root Switches=ib1,ib2\n", files["topology.conf"].ReplaceLineEndings("\n"));
        var accounts = files["accounts.sh"];
        Assert.Contains("sacctmgr -i add qos normal Priority=10 MaxTRESPerUser=gres/gpu=16", accounts, StringComparison.Ordinal);
        Assert.Contains("sacctmgr -i add account llm parent=acme cluster=acme-train fairshare=10 qos=normal", accounts, StringComparison.Ordinal);
        Assert.Contains("sacctmgr -i add user alice account=llm cluster=acme-train", accounts, StringComparison.Ordinal);
    }

    [Fact]
    public void MigPools_CountInstancesAsGres_AndWithoutPartitions_EveryNodeIsInBatch()
    {
        var plan = Plan(ClusterTypes.Slurm, 2, new ClusterSpec { Type = ClusterTypes.Slurm }, mig: "1g.10gb×7");
        var conf = SlurmRenderer.SlurmConf(plan, new SlurmRenderOptions(Lab: true, "/tmp/x", "/tmp/x/munge.sock", "host", 20000));
        Assert.Contains("Gres=gpu:h100:56", conf, StringComparison.Ordinal);
        Assert.Contains("NodeName=n2 NodeHostname=host NodeAddr=127.0.0.1 Port=20002", conf, StringComparison.Ordinal);
        Assert.Contains("PartitionName=batch Nodes=n1,n2 Default=YES MaxTime=UNLIMITED State=UP", conf, StringComparison.Ordinal);
        Assert.Contains("AuthInfo=socket=/tmp/x/munge.sock", conf, StringComparison.Ordinal);
        Assert.Contains("File=/tmp/x/dev/nvidia[0-55]", SlurmRenderer.GresConf(plan, new SlurmRenderOptions(Lab: true, "/tmp/x")), StringComparison.Ordinal);
    }

    private static YamlMappingNode Yaml(string text, int document = 0)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return (YamlMappingNode)stream.Documents[document].RootNode;
    }

    [Fact]
    public void Kubeadm_IsV1beta4_WithTheRealmAsOidcIssuer_AndAnHaControlPlaneHasThreeEtcdMembers()
    {
        var plan = Plan(ClusterTypes.Kubernetes, 5, controlPlane: 3);
        var files = KubeadmRenderer.All(plan, "abcdef.0123456789abcdef");
        var init = Yaml(files["kubeadm-init.yaml"]);
        Assert.Equal("kubeadm.k8s.io/v1beta4", init["apiVersion"].ToString());
        Assert.Equal("InitConfiguration", init["kind"].ToString());
        var cluster = Yaml(files["kubeadm-init.yaml"], 1);
        Assert.Equal("v1.34.0", cluster["kubernetesVersion"].ToString());
        Assert.Equal("10.128.0.2:6443", cluster["controlPlaneEndpoint"].ToString());
        Assert.Contains("https://dflare.example/realms/acme", files["kubeadm-init.yaml"], StringComparison.Ordinal);
        Assert.Equal(3, files.Keys.Count(k => k.EndsWith("/etcd.yaml", StringComparison.Ordinal)));
        var etcd = files["manifests/n2/etcd.yaml"];
        Assert.Contains("--initial-cluster=n1=https://10.128.0.2:2380,n2=https://10.128.0.3:2380,n3=https://10.128.0.4:2380", etcd, StringComparison.Ordinal);
        Assert.Contains("--name=n2", etcd, StringComparison.Ordinal);
        Assert.Contains("--oidc-issuer-url=https://dflare.example/realms/acme", files["manifests/n1/kube-apiserver.yaml"], StringComparison.Ordinal);
        Assert.Contains("--etcd-servers=https://10.128.0.2:2379,https://10.128.0.3:2379,https://10.128.0.4:2379", files["manifests/n3/kube-apiserver.yaml"], StringComparison.Ordinal);
        var join = Yaml(files["kubeadm-join-n3.yaml"]);
        Assert.Equal("JoinConfiguration", join["kind"].ToString());
        Assert.True(join.Children.ContainsKey("controlPlane")); // n3 is the third member
        Assert.False(Yaml(files["kubeadm-join-n4.yaml"]).Children.ContainsKey("controlPlane"));
        Assert.Contains("nvidia.com/gpu.product=H100-SXM5-80GB", files["kubeadm-join-n4.yaml"], StringComparison.Ordinal);
        Assert.Contains("nvidia-device-plugin", files["gpu-runtime.yaml"], StringComparison.Ordinal);
    }

    [Fact]
    public void TheGpuOperator_IsAClusterPolicyWithMig_AndTheKubeconfigSignsInWithTheRealm()
    {
        var spec = new ClusterSpec { Type = ClusterTypes.Kubernetes, Kubernetes = new KubernetesSpec("1.33"), AddOns = [new AddOnSpec("nvidia-gpu-operator"), new AddOnSpec("dcgm-exporter")] };
        var plan = Plan(ClusterTypes.Kubernetes, 1, spec, mig: "3g.40gb");
        var runtime = KubeadmRenderer.GpuRuntime(plan);
        Assert.Contains("kind: ClusterPolicy", runtime, StringComparison.Ordinal);
        Assert.Contains("strategy: single", runtime, StringComparison.Ordinal);
        Assert.Equal("all-3g.40gb", KubeadmRenderer.NodeLabels(plan.Nodes[0])["nvidia.com/mig.config"]);
        var kubeconfig = Yaml(KubeadmRenderer.Kubeconfig(plan, "https://10.128.0.2:6443", null));
        Assert.Equal("Config", kubeconfig["kind"].ToString());
        Assert.Contains("--oidc-issuer-url=https://dflare.example/realms/acme", KubeadmRenderer.Kubeconfig(plan, "https://10.128.0.2:6443", null), StringComparison.Ordinal);
    }
}
