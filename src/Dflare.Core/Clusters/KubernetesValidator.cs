using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Dflare.Core.Clusters;

/// <summary>
/// Validation of a Kubernetes cluster through its API server, with the official client: every planned node is
/// registered and Ready and offers its GPUs (<c>nvidia.com/gpu</c>, or its MIG resource), and a smoke Job pinned to
/// each node, asking for all of its GPUs, succeeds. Tested against a wire-level fake of the API server; it has not run
/// against a live cluster (none can run on the machines this is built on).
/// </summary>
public sealed class KubernetesValidator(IKubernetes client, TimeProvider time)
{
    public const string Namespace = "dflare-system";

    /// <summary>The extended resource a node's GPUs appear as (MIG's single strategy keeps the name).</summary>
    public const string GpuResource = "nvidia.com/gpu";

    public static int GpuCount(PlanNode node) => ClusterSpecRules.MigOf(node.Mig) is { Instances: > 0 } mig ? node.Gpus * mig.Instances : node.Gpus;

    public async Task<IReadOnlyList<NodeCheck>> ValidateAsync(ClusterPlan plan, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var nodes = (await client.CoreV1.ListNodeAsync(cancellationToken: cancellationToken)).Items.ToDictionary(n => n.Metadata.Name, StringComparer.Ordinal);
        await EnsureNamespaceAsync(cancellationToken);
        var checks = new List<NodeCheck>();
        var jobs = new List<(PlanNode Node, string Job)>();
        foreach (var node in plan.Nodes)
        {
            if (!nodes.TryGetValue(node.Name, out var registered))
            {
                checks.Add(new NodeCheck(node.Name, false, "not registered with the API server"));
                continue;
            }
            if (registered.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Status != "True")
            {
                checks.Add(new NodeCheck(node.Name, false, "not Ready"));
                continue;
            }
            var offered = registered.Status?.Allocatable?.TryGetValue(GpuResource, out var quantity) == true ? quantity.ToInt32() : 0;
            if (offered != GpuCount(node))
            {
                checks.Add(new NodeCheck(node.Name, false, $"offers {offered} {GpuResource}, expected {GpuCount(node)}"));
                continue;
            }
            var job = await client.BatchV1.CreateNamespacedJobAsync(SmokeJob(plan, node), Namespace, cancellationToken: cancellationToken);
            jobs.Add((node, job.Metadata.Name));
        }
        var until = time.GetUtcNow() + deadline;
        foreach (var (node, name) in jobs)
        {
            checks.Add(await AwaitJobAsync(node, name, until, cancellationToken));
        }
        return [.. checks.OrderBy(c => c.Node, StringComparer.Ordinal)];
    }

    public static V1Job SmokeJob(ClusterPlan plan, PlanNode node) => new()
    {
        ApiVersion = "batch/v1",
        Kind = "Job",
        Metadata = new V1ObjectMeta
        {
            Name = $"dflare-smoke-{node.Name}".ToLowerInvariant(), NamespaceProperty = Namespace,
            Labels = new Dictionary<string, string> { ["dflare.ai/cluster"] = plan.Id.ToString("N"), ["dflare.ai/check"] = "smoke" },
        },
        Spec = new V1JobSpec
        {
            BackoffLimit = 0,
            TtlSecondsAfterFinished = 600,
            Template = new V1PodTemplateSpec
            {
                Spec = new V1PodSpec
                {
                    RestartPolicy = "Never",
                    NodeSelector = new Dictionary<string, string> { ["kubernetes.io/hostname"] = node.Name },
                    Tolerations = [new V1Toleration { Key = "nvidia.com/gpu", OperatorProperty = "Exists", Effect = "NoSchedule" }],
                    Containers =
                    [
                        new V1Container
                        {
                            Name = "smoke", Image = "nvcr.io/nvidia/cuda:12.8.1-base-ubuntu24.04", Command = ["nvidia-smi", "-L"],
                            Resources = new V1ResourceRequirements
                            {
                                Limits = new Dictionary<string, ResourceQuantity> { [GpuResource] = new ResourceQuantity(GpuCount(node).ToString(System.Globalization.CultureInfo.InvariantCulture)) },
                            },
                        },
                    ],
                },
            },
        },
    };

    private async Task EnsureNamespaceAsync(CancellationToken cancellationToken)
    {
        try
        {
            await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } }, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // It exists: validation ran before.
        }
    }

    private async Task<NodeCheck> AwaitJobAsync(PlanNode node, string name, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            var job = await client.BatchV1.ReadNamespacedJobStatusAsync(name, Namespace, cancellationToken: cancellationToken);
            if (job.Status?.Succeeded > 0)
            {
                return new NodeCheck(node.Name, true, $"smoke job {name} succeeded with {GpuCount(node)} GPUs");
            }
            if (job.Status?.Failed > 0)
            {
                return new NodeCheck(node.Name, false, $"smoke job {name} failed");
            }
            if (time.GetUtcNow() > until)
            {
                return new NodeCheck(node.Name, false, $"smoke job {name} did not finish in time");
            }
            await Task.Delay(delay, time, cancellationToken);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
        }
    }
}
