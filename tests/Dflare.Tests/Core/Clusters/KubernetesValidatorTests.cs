using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Dflare.Core.Clusters;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dflare.Tests.Core.Clusters;

/// <summary>
/// Cluster validation through the official Kubernetes client, against a wire-level fake of the API server: real paths,
/// real JSON shapes (written with the client's own models), a 409 Status for a namespace that exists, Jobs that run
/// and finish. No Kubernetes API server can run on this machine, so this is as far as the client path is proven.
/// </summary>
public sealed class KubernetesValidatorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The fake: nodes by name (Ready, GPUs), Jobs created and read back; a Job succeeds on its second read,
    /// or fails when its node is in <see cref="FailingJobs"/>.</summary>
    private sealed class FakeApiServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentDictionary<string, int> _reads = new();

        public ConcurrentDictionary<string, V1Node> Nodes { get; } = new();

        public ConcurrentDictionary<string, JsonNode> Jobs { get; } = new();

        public HashSet<string> FailingJobs { get; } = [];

        public bool NamespaceExists { get; set; }

        private FakeApiServer(WebApplication app) => _app = app;

        public string Url => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        public static async Task<FakeApiServer> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var fake = new FakeApiServer(app);
            app.MapGet("/api/v1/nodes", () => Results.Text(KubernetesJson.Serialize(new V1NodeList { ApiVersion = "v1", Kind = "NodeList", Items = [.. fake.Nodes.Values] }), "application/json"));
            app.MapPost("/api/v1/namespaces", () =>
            {
                if (fake.NamespaceExists)
                {
                    // The API server's own words (the client's V1Status cannot be written, only read).
                    return Results.Text($$"""
                        {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"namespaces \"{{KubernetesValidator.Namespace}}\" already exists","reason":"AlreadyExists","details":{"name":"{{KubernetesValidator.Namespace}}","kind":"namespaces"},"code":409}
                        """, "application/json", statusCode: 409);
                }
                fake.NamespaceExists = true;
                return Results.Text(KubernetesJson.Serialize(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = KubernetesValidator.Namespace } }), "application/json", statusCode: 201);
            });
            app.MapPost("/apis/batch/v1/namespaces/{ns}/jobs", async (string ns, HttpRequest request) =>
            {
                var job = (await JsonNode.ParseAsync(request.Body))!;
                fake.Jobs[(string)job["metadata"]!["name"]!] = job;
                return Results.Text(job.ToJsonString(), "application/json", statusCode: 201);
            });
            app.MapGet("/apis/batch/v1/namespaces/{ns}/jobs/{name}/status", (string ns, string name) =>
            {
                if (!fake.Jobs.TryGetValue(name, out var job))
                {
                    return Results.Text($$"""
                        {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"jobs.batch \"{{name}}\" not found","reason":"NotFound","details":{"name":"{{name}}","group":"batch","kind":"jobs"},"code":404}
                        """, "application/json", statusCode: 404);
                }
                var reads = fake._reads.AddOrUpdate(name, 1, (_, n) => n + 1);
                var node = (string)job["spec"]!["template"]!["spec"]!["nodeSelector"]!["kubernetes.io/hostname"]!;
                var status = reads < 2 ? new JsonObject { ["active"] = 1 } : fake.FailingJobs.Contains(node) ? new JsonObject { ["failed"] = 1 } : new JsonObject { ["succeeded"] = 1 };
                var copy = job.DeepClone();
                copy["status"] = status;
                return Results.Text(copy.ToJsonString(), "application/json");
            });
            await app.StartAsync();
            return fake;
        }

        public void Node(string name, bool ready, int gpus) => Nodes[name] = new V1Node
        {
            Metadata = new V1ObjectMeta { Name = name },
            Status = new V1NodeStatus
            {
                Conditions = [new V1NodeCondition { Type = "Ready", Status = ready ? "True" : "False" }],
                Allocatable = new Dictionary<string, ResourceQuantity> { ["nvidia.com/gpu"] = new(gpus.ToString(System.Globalization.CultureInfo.InvariantCulture)), ["cpu"] = new("112") },
            },
        };

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }

    private static ClusterPlan Plan(params string[] nodes) => new(Guid.CreateVersion7(), "acme", "research", "inference", ClusterTypes.Kubernetes,
        new ClusterSpec { Type = ClusterTypes.Kubernetes, Kubernetes = new KubernetesSpec("1.34") },
        [.. nodes.Select((n, i) => new PlanNode(n, "gpu", $"10.128.0.{i + 2}", "H100-SXM5-80GB", 8, 112, 2048, "r1", "leaf1", "ib1", n.EndsWith("mig", StringComparison.Ordinal) ? "1g.10gb" : "none"))],
        [], "https://dflare.example/realms/acme");

    private static KubernetesValidator Validator(FakeApiServer fake) =>
        new(new Kubernetes(new KubernetesClientConfiguration { Host = fake.Url }), TimeProvider.System);

    [Fact]
    public async Task HealthyNodes_PassWithASmokeJobEach_PinnedToTheNodeAndAskingForItsGpus()
    {
        await using var fake = await FakeApiServer.StartAsync();
        fake.Node("n1", ready: true, gpus: 8);
        fake.Node("n2", ready: true, gpus: 8);
        fake.Node("n3-mig", ready: true, gpus: 56);
        fake.NamespaceExists = true; // validation ran before: the 409 is fine

        var checks = await Validator(fake).ValidateAsync(Plan("n1", "n2", "n3-mig"), TimeSpan.FromSeconds(30), Ct);

        Assert.All(checks, c => Assert.True(c.Healthy, c.Detail));
        Assert.Equal(3, fake.Jobs.Count);
        var job = fake.Jobs["dflare-smoke-n3-mig"];
        Assert.Equal("n3-mig", (string?)job["spec"]!["template"]!["spec"]!["nodeSelector"]!["kubernetes.io/hostname"]);
        Assert.Equal("56", (string?)job["spec"]!["template"]!["spec"]!["containers"]![0]!["resources"]!["limits"]!["nvidia.com/gpu"]);
        Assert.Equal("Never", (string?)job["spec"]!["template"]!["spec"]!["restartPolicy"]);
    }

    [Fact]
    public async Task MissingNotReadyShortOrFailingNodes_AreEachReportedWithTheReason()
    {
        await using var fake = await FakeApiServer.StartAsync();
        fake.Node("ok", ready: true, gpus: 8);
        fake.Node("down", ready: false, gpus: 8);
        fake.Node("short", ready: true, gpus: 7);
        fake.Node("xid", ready: true, gpus: 8);
        fake.FailingJobs.Add("xid");

        var checks = (await Validator(fake).ValidateAsync(Plan("ok", "down", "short", "xid", "absent"), TimeSpan.FromSeconds(30), Ct)).ToDictionary(c => c.Node);

        Assert.True(checks["ok"].Healthy);
        Assert.Equal("not Ready", checks["down"].Detail);
        Assert.Equal("offers 7 nvidia.com/gpu, expected 8", checks["short"].Detail);
        Assert.Equal("smoke job dflare-smoke-xid failed", checks["xid"].Detail);
        Assert.Equal("not registered with the API server", checks["absent"].Detail);
        Assert.True(fake.NamespaceExists);
        Assert.Equal(2, fake.Jobs.Count);
    }
}
