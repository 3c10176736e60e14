using System.Globalization;
using k8s;
using k8s.Models;
using YamlDotNet.Serialization;

namespace Dflare.Core.Clusters;

/// <summary>
/// Renders a Kubernetes cluster's bootstrap from its plan: kubeadm's <c>InitConfiguration</c> and
/// <c>ClusterConfiguration</c> (kubeadm.k8s.io/v1beta4) for the first control-plane node, a <c>JoinConfiguration</c>
/// for every other node, static pod manifests for etcd (three members for an HA control plane), the API server
/// (trusting the tenant realm's OIDC tokens), the controller manager and the scheduler, and the GPU runtime (NVIDIA
/// device plugin or GPU operator, with node labels for GPU model, count, MIG and topology).
/// </summary>
public static class KubeadmRenderer
{
    public const string PodSubnet = "10.244.0.0/16";
    public const string ServiceSubnet = "10.96.0.0/12";
    public const string OidcClientId = "kubernetes";

    private static readonly ISerializer Yaml = new SerializerBuilder().Build();

    /// <summary>Every file, by name. <paramref name="bootstrapToken"/> is the kubeadm join token (<c>abcdef.0123456789abcdef</c>).</summary>
    public static IReadOnlyDictionary<string, string> All(ClusterPlan plan, string bootstrapToken)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["kubeadm-init.yaml"] = InitConfiguration(plan, bootstrapToken),
        };
        foreach (var node in plan.Nodes.Skip(1))
        {
            files[$"kubeadm-join-{node.Name}.yaml"] = JoinConfiguration(plan, node, bootstrapToken);
        }
        foreach (var member in plan.ControlPlane)
        {
            files[$"manifests/{member.Name}/etcd.yaml"] = KubernetesYaml.Serialize(Etcd(plan, member));
            files[$"manifests/{member.Name}/kube-apiserver.yaml"] = KubernetesYaml.Serialize(ApiServer(plan, member));
            files[$"manifests/{member.Name}/kube-controller-manager.yaml"] = KubernetesYaml.Serialize(ControllerManager(plan));
            files[$"manifests/{member.Name}/kube-scheduler.yaml"] = KubernetesYaml.Serialize(Scheduler(plan));
        }
        files["gpu-runtime.yaml"] = GpuRuntime(plan);
        return files;
    }

    /// <summary>The exact release kubeadm installs for a supported minor version.</summary>
    public static string Release(string minor) => $"v{minor}.0";

    public static string Endpoint(ClusterPlan plan) => $"{plan.ControlPlane[0].Address}:6443";

    /// <summary>Labels every node carries: GPU model and count, MIG layout (the MIG manager applies it), topology.</summary>
    public static IReadOnlyDictionary<string, string> NodeLabels(PlanNode node)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["nvidia.com/gpu.product"] = node.GpuModel,
            ["nvidia.com/gpu.count"] = node.Gpus.ToString(CultureInfo.InvariantCulture),
            ["nvidia.com/mig.config"] = ClusterSpecRules.MigOf(node.Mig) is { Instances: > 0 } mig ? $"all-{mig.Profile}" : "all-disabled",
            ["topology.kubernetes.io/zone"] = node.Rack,
            ["dflare.ai/pool"] = node.Pool,
        };
        if (node.Leaf is { } leaf)
        {
            labels["dflare.ai/leaf"] = leaf;
        }
        if (node.InfinibandLeaf is { } ib)
        {
            labels["dflare.ai/infiniband-leaf"] = ib;
        }
        return labels;
    }

    private static string LabelArgument(PlanNode node) => string.Join(',', NodeLabels(node).Select(l => $"{l.Key}={l.Value}"));

    private static Dictionary<string, object> NodeRegistration(PlanNode node) => new()
    {
        ["name"] = node.Name,
        ["criSocket"] = "unix:///run/containerd/containerd.sock",
        ["kubeletExtraArgs"] = new[] { new Dictionary<string, object> { ["name"] = "node-labels", ["value"] = LabelArgument(node) } },
    };

    public static string InitConfiguration(ClusterPlan plan, string bootstrapToken)
    {
        var first = plan.ControlPlane[0];
        var init = new Dictionary<string, object>
        {
            ["apiVersion"] = "kubeadm.k8s.io/v1beta4",
            ["kind"] = "InitConfiguration",
            ["bootstrapTokens"] = new[] { new Dictionary<string, object> { ["token"] = bootstrapToken, ["ttl"] = "1h0m0s", ["usages"] = new[] { "signing", "authentication" } } },
            ["localAPIEndpoint"] = new Dictionary<string, object> { ["advertiseAddress"] = first.Address, ["bindPort"] = 6443 },
            ["nodeRegistration"] = NodeRegistration(first),
        };
        var cluster = new Dictionary<string, object>
        {
            ["apiVersion"] = "kubeadm.k8s.io/v1beta4",
            ["kind"] = "ClusterConfiguration",
            ["clusterName"] = SlurmRenderer.ClusterName(plan),
            ["kubernetesVersion"] = Release(plan.KubernetesVersion!),
            ["controlPlaneEndpoint"] = Endpoint(plan),
            ["networking"] = new Dictionary<string, object> { ["podSubnet"] = PodSubnet, ["serviceSubnet"] = ServiceSubnet, ["dnsDomain"] = "cluster.local" },
            ["apiServer"] = new Dictionary<string, object>
            {
                ["certSANs"] = plan.ControlPlane.Select(n => n.Address).ToArray(),
                ["extraArgs"] = OidcArguments(plan).Select(a => new Dictionary<string, object> { ["name"] = a.Key, ["value"] = a.Value }).ToArray(),
            },
            ["etcd"] = new Dictionary<string, object> { ["local"] = new Dictionary<string, object> { ["dataDir"] = "/var/lib/etcd" } },
        };
        return $"{Yaml.Serialize(init)}---\n{Yaml.Serialize(cluster)}";
    }

    /// <summary>The API server authenticates tenants with their realm's tokens (no static credentials).</summary>
    public static IReadOnlyDictionary<string, string> OidcArguments(ClusterPlan plan) => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["oidc-issuer-url"] = plan.Issuer,
        ["oidc-client-id"] = OidcClientId,
        ["oidc-username-claim"] = "sub",
        ["oidc-username-prefix"] = "oidc:",
        ["oidc-groups-claim"] = "groups",
        ["oidc-groups-prefix"] = "oidc:",
    };

    public static string JoinConfiguration(ClusterPlan plan, PlanNode node, string bootstrapToken)
    {
        var join = new Dictionary<string, object>
        {
            ["apiVersion"] = "kubeadm.k8s.io/v1beta4",
            ["kind"] = "JoinConfiguration",
            ["discovery"] = new Dictionary<string, object>
            {
                ["bootstrapToken"] = new Dictionary<string, object> { ["apiServerEndpoint"] = Endpoint(plan), ["token"] = bootstrapToken, ["unsafeSkipCAVerification"] = false },
            },
            ["nodeRegistration"] = NodeRegistration(node),
        };
        if (plan.ControlPlane.Any(c => c.Name == node.Name))
        {
            join["controlPlane"] = new Dictionary<string, object> { ["localAPIEndpoint"] = new Dictionary<string, object> { ["advertiseAddress"] = node.Address, ["bindPort"] = 6443 } };
        }
        return Yaml.Serialize(join);
    }

    private static V1Pod StaticPod(string name, string image, IList<string> command, PlanNode? member = null, int? probePort = null, string probeScheme = "HTTPS", string probePath = "/healthz") => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "kube-system", Labels = new Dictionary<string, string> { ["component"] = name, ["tier"] = "control-plane" } },
        Spec = new V1PodSpec
        {
            HostNetwork = true,
            PriorityClassName = "system-node-critical",
            Containers =
            [
                new V1Container
                {
                    Name = name, Image = image, Command = command,
                    LivenessProbe = probePort is { } port ? new V1Probe { HttpGet = new V1HTTPGetAction { Host = member?.Address ?? "127.0.0.1", Port = port, Path = probePath, Scheme = probeScheme } } : null,
                    VolumeMounts = [new V1VolumeMount { Name = "k8s-certs", MountPath = "/etc/kubernetes/pki", ReadOnlyProperty = true }],
                },
            ],
            Volumes = [new V1Volume { Name = "k8s-certs", HostPath = new V1HostPathVolumeSource { Path = "/etc/kubernetes/pki", Type = "DirectoryOrCreate" } }],
        },
    };

    public static V1Pod Etcd(ClusterPlan plan, PlanNode member)
    {
        var initial = string.Join(',', plan.ControlPlane.Select(m => $"{m.Name}=https://{m.Address}:2380"));
        var pod = StaticPod("etcd", "registry.k8s.io/etcd:3.5.21-0",
        [
            "etcd", $"--name={member.Name}", "--data-dir=/var/lib/etcd",
            $"--advertise-client-urls=https://{member.Address}:2379", $"--listen-client-urls=https://127.0.0.1:2379,https://{member.Address}:2379",
            $"--initial-advertise-peer-urls=https://{member.Address}:2380", $"--listen-peer-urls=https://{member.Address}:2380",
            $"--initial-cluster={initial}", "--initial-cluster-state=new", $"--initial-cluster-token={plan.Id:N}",
            "--cert-file=/etc/kubernetes/pki/etcd/server.crt", "--key-file=/etc/kubernetes/pki/etcd/server.key",
            "--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt", "--peer-key-file=/etc/kubernetes/pki/etcd/peer.key",
            "--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt", "--peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt",
            "--client-cert-auth=true", "--peer-client-cert-auth=true",
        ], member, 2381, "HTTP", "/health");
        pod.Spec.Volumes.Add(new V1Volume { Name = "etcd-data", HostPath = new V1HostPathVolumeSource { Path = "/var/lib/etcd", Type = "DirectoryOrCreate" } });
        pod.Spec.Containers[0].VolumeMounts.Add(new V1VolumeMount { Name = "etcd-data", MountPath = "/var/lib/etcd" });
        return pod;
    }

    public static V1Pod ApiServer(ClusterPlan plan, PlanNode member)
    {
        var etcd = string.Join(',', plan.ControlPlane.Select(m => $"https://{m.Address}:2379"));
        List<string> command =
        [
            "kube-apiserver", $"--advertise-address={member.Address}", "--secure-port=6443", $"--etcd-servers={etcd}",
            "--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt", "--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt",
            "--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key", $"--service-cluster-ip-range={ServiceSubnet}",
            "--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction", "--client-ca-file=/etc/kubernetes/pki/ca.crt",
            "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt", "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local", "--service-account-key-file=/etc/kubernetes/pki/sa.pub",
            "--service-account-signing-key-file=/etc/kubernetes/pki/sa.key", "--kubelet-preferred-address-types=InternalIP",
        ];
        command.AddRange(OidcArguments(plan).Select(a => $"--{a.Key}={a.Value}"));
        return StaticPod("kube-apiserver", $"registry.k8s.io/kube-apiserver:{Release(plan.KubernetesVersion!)}", command, member, 6443, probePath: "/livez");
    }

    public static V1Pod ControllerManager(ClusterPlan plan) => StaticPod("kube-controller-manager", $"registry.k8s.io/kube-controller-manager:{Release(plan.KubernetesVersion!)}",
    [
        "kube-controller-manager", "--kubeconfig=/etc/kubernetes/controller-manager.conf", "--leader-elect=true", "--allocate-node-cidrs=true",
        $"--cluster-cidr={PodSubnet}", $"--service-cluster-ip-range={ServiceSubnet}", "--use-service-account-credentials=true",
        "--cluster-signing-cert-file=/etc/kubernetes/pki/ca.crt", "--cluster-signing-key-file=/etc/kubernetes/pki/ca.key",
        "--root-ca-file=/etc/kubernetes/pki/ca.crt", "--service-account-private-key-file=/etc/kubernetes/pki/sa.key",
    ], null, 10257);

    public static V1Pod Scheduler(ClusterPlan plan) => StaticPod("kube-scheduler", $"registry.k8s.io/kube-scheduler:{Release(plan.KubernetesVersion!)}",
        ["kube-scheduler", "--kubeconfig=/etc/kubernetes/scheduler.conf", "--leader-elect=true"], null, 10259);

    /// <summary>The GPU runtime: the NVIDIA GPU operator's ClusterPolicy when asked for, else the device plugin
    /// DaemonSet (with MIG strategy <c>single</c> on MIG pools); DCGM exporter when asked for.</summary>
    public static string GpuRuntime(ClusterPlan plan)
    {
        var addOns = (plan.Spec.AddOns ?? []).Select(a => a.Name).ToHashSet(StringComparer.Ordinal);
        var mig = plan.Nodes.Any(n => n.Mig != "none");
        var documents = new List<string>
        {
            KubernetesYaml.Serialize(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = "nvidia-gpu" } }),
        };
        if (addOns.Contains("nvidia-gpu-operator"))
        {
            documents.Add(Yaml.Serialize(new Dictionary<string, object>
            {
                ["apiVersion"] = "nvidia.com/v1", ["kind"] = "ClusterPolicy", ["metadata"] = new Dictionary<string, object> { ["name"] = "cluster-policy" },
                ["spec"] = new Dictionary<string, object>
                {
                    ["operator"] = new Dictionary<string, object> { ["defaultRuntime"] = "containerd" },
                    ["driver"] = new Dictionary<string, object> { ["enabled"] = false },
                    ["toolkit"] = new Dictionary<string, object> { ["enabled"] = true },
                    ["devicePlugin"] = new Dictionary<string, object> { ["enabled"] = true },
                    ["mig"] = new Dictionary<string, object> { ["strategy"] = mig ? "single" : "none" },
                    ["migManager"] = new Dictionary<string, object> { ["enabled"] = mig },
                    ["dcgmExporter"] = new Dictionary<string, object> { ["enabled"] = addOns.Contains("dcgm-exporter") },
                },
            }));
        }
        else
        {
            documents.Add(KubernetesYaml.Serialize(DaemonSet("nvidia-device-plugin", "nvcr.io/nvidia/k8s-device-plugin:v0.17.0",
                [new V1EnvVar { Name = "MIG_STRATEGY", Value = mig ? "single" : "none" }, new V1EnvVar { Name = "FAIL_ON_INIT_ERROR", Value = "true" }],
                [new V1VolumeMount { Name = "device-plugins", MountPath = "/var/lib/kubelet/device-plugins" }],
                [new V1Volume { Name = "device-plugins", HostPath = new V1HostPathVolumeSource { Path = "/var/lib/kubelet/device-plugins" } }])));
            if (addOns.Contains("dcgm-exporter"))
            {
                documents.Add(KubernetesYaml.Serialize(DaemonSet("dcgm-exporter", "nvcr.io/nvidia/k8s/dcgm-exporter:4.2.3-4.1.3-ubuntu22.04", [], [], [])));
            }
        }
        return string.Join("---\n", documents);
    }

    private static V1DaemonSet DaemonSet(string name, string image, IList<V1EnvVar> env, IList<V1VolumeMount> mounts, IList<V1Volume> volumes) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "DaemonSet",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "nvidia-gpu" },
        Spec = new V1DaemonSetSpec
        {
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec
                {
                    NodeSelector = new Dictionary<string, string> { ["nvidia.com/gpu.present"] = "true" },
                    Tolerations = [new V1Toleration { Key = "nvidia.com/gpu", OperatorProperty = "Exists", Effect = "NoSchedule" }],
                    PriorityClassName = "system-node-critical",
                    Containers = [new V1Container { Name = name, Image = image, Env = env, VolumeMounts = mounts, SecurityContext = new V1SecurityContext { AllowPrivilegeEscalation = false } }],
                    Volumes = volumes,
                },
            },
        },
    };

    /// <summary>A kubeconfig that signs in with the tenant's realm (the kubelogin exec plugin, device flow).</summary>
    public static string Kubeconfig(ClusterPlan plan, string endpoint, string? certificateAuthority)
    {
        var name = SlurmRenderer.ClusterName(plan);
        var cluster = new Dictionary<string, object> { ["server"] = endpoint };
        if (certificateAuthority is not null)
        {
            cluster["certificate-authority-data"] = certificateAuthority;
        }
        return Yaml.Serialize(new Dictionary<string, object>
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Config",
            ["current-context"] = name,
            ["clusters"] = new[] { new Dictionary<string, object> { ["name"] = name, ["cluster"] = cluster } },
            ["contexts"] = new[] { new Dictionary<string, object> { ["name"] = name, ["context"] = new Dictionary<string, object> { ["cluster"] = name, ["user"] = $"{plan.Tenant}-oidc" } } },
            ["users"] = new[]
            {
                new Dictionary<string, object>
                {
                    ["name"] = $"{plan.Tenant}-oidc",
                    ["user"] = new Dictionary<string, object>
                    {
                        ["exec"] = new Dictionary<string, object>
                        {
                            ["apiVersion"] = "client.authentication.k8s.io/v1",
                            ["command"] = "kubectl",
                            ["args"] = new[] { "oidc-login", "get-token", $"--oidc-issuer-url={plan.Issuer}", $"--oidc-client-id={OidcClientId}", "--grant-type=device-code" },
                            ["interactiveMode"] = "IfAvailable",
                        },
                    },
                },
            },
        });
    }
}
