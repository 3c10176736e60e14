using System.Net;
using System.Text.Json.Nodes;
using Dflare.Core.Workflows;
using Dflare.Persistence.Store;
using Dflare.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Tests.Server.Api;

/// <summary>/api/v1/operations against a real server whose workers run a demo workflow, on each store provider.</summary>
public abstract class OperationsApiTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private TestServer? _server;

    private TestServer Server => _server!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static WorkflowDefinition Demo => new()
    {
        Name = "demo",
        SingleActivePerTarget = true,
        Steps =
        [
            new StepDefinition { Name = "reserve", Execute = (_, _) => Task.FromResult(StepResult.Done(new JsonObject { ["slot"] = 7 })), Compensate = (_, _) => Task.CompletedTask },
            new StepDefinition
            {
                Name = "await-ready",
                // Waits for a target named "slow-*" until cancelled; finishes at once otherwise.
                Execute = (context, _) => Task.FromResult(context.Input?["target"]?.ToString().StartsWith("slow", StringComparison.Ordinal) == true
                    ? StepResult.WaitFor("the node to report ready", TimeSpan.FromHours(1))
                    : StepResult.Done()),
            },
        ],
    };

    protected abstract Task<StoreTarget> CreateStoreAsync();

    public async ValueTask InitializeAsync()
    {
        _server = await TestServer.StartAsync(await CreateStoreAsync(), new Dictionary<string, string?> { ["Workflows:Workers"] = "2" }, services => services.AddWorkflow(Demo));
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }

    private async Task<Guid> StartAsync(string target)
    {
        await using var scope = Server.Server.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DflareDbContext>();
        var run = await scope.ServiceProvider.GetRequiredService<WorkflowClient>().StartAsync(db, "demo", target, new JsonObject { ["target"] = target }, Ct);
        return run!.Id;
    }

    private Task<JsonNode> WaitForPhaseAsync(Guid id, string phase) => Poll.UntilAsync(async ct =>
    {
        var operation = await (await Server.Client.GetAsync($"/api/v1/operations/{id}", ct)).ReadAsync();
        return (string?)operation["status"]!["phase"] == phase ? operation : null;
    }, Deadline, $"operation {id} to reach {phase}");

    [Fact]
    public async Task Operation_ShowsPerStepProgress_UntilSucceeded()
    {
        var id = await StartAsync("fast-1");

        var operation = await WaitForPhaseAsync(id, "Succeeded");

        Assert.Equal("Operation", (string?)operation["kind"]);
        Assert.Equal(id.ToString(), (string?)operation["metadata"]!["name"]);
        Assert.Equal("demo", (string?)operation["spec"]!["workflow"]);
        Assert.Equal("fast-1", (string?)operation["spec"]!["target"]);
        var steps = operation["status"]!["steps"]!.AsArray();
        Assert.Equal(["reserve", "await-ready"], steps.Select(s => (string)s!["name"]!));
        Assert.All(steps, s => Assert.Equal("Succeeded", (string?)s!["state"]));
        Assert.All(steps, s => Assert.Equal(1, (int)s!["attempts"]!));
        Assert.NotNull(operation["status"]!["finishedAt"]);
        var events = (await (await Server.Client.GetAsync($"/api/v1/operations/{id}/events", Ct)).ReadAsync()).AsArray();
        Assert.Equal("Created", (string?)events[0]!["type"]);
        Assert.Equal("RunSucceeded", (string?)events[^1]!["type"]);
        var metrics = await Server.Anonymous.GetStringAsync("/metrics", Ct);
        Assert.Matches("dflare_workflow_runs\\{state=\"Succeeded\"\\} [1-9]", metrics);
        Assert.Contains("dflare_workflow_runs_finished_total{workflow=\"demo\",state=\"Succeeded\"}", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancel_OfAWaitingOperation_Answers202_ThenCompensatesToCancelled()
    {
        var id = await StartAsync("slow-1");
        var waiting = await WaitForWaitingAsync(id);

        var response = await Server.Client.PostAsync($"/api/v1/operations/{id}/cancel", null, Ct);
        var accepted = await response.ReadAsync();
        var cancelled = await WaitForPhaseAsync(id, "Cancelled");
        var again = await Server.Client.PostAsync($"/api/v1/operations/{id}/cancel", null, Ct);

        Assert.Equal("the node to report ready", (string?)waiting["status"]!["steps"]![1]!["waitingFor"]);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.True((bool)accepted["status"]!["cancelRequested"]!);
        Assert.Equal("Compensated", (string?)cancelled["status"]!["steps"]![0]!["state"]);
        Assert.Equal("Skipped", (string?)cancelled["status"]!["steps"]![1]!["state"]);
        await again.AssertProblemAsync(409, "operation-finished");
    }

    [Fact]
    public async Task List_FiltersByWorkflowTargetAndPhase_AndPages()
    {
        var a = await StartAsync("list-a");
        var b = await StartAsync("list-b");
        await WaitForPhaseAsync(a, "Succeeded");
        await WaitForPhaseAsync(b, "Succeeded");

        var byTarget = await (await Server.Client.GetAsync("/api/v1/operations?target=list-a", Ct)).ReadAsync();
        var page = await (await Server.Client.GetAsync("/api/v1/operations?workflow=demo&phase=Succeeded&limit=1", Ct)).ReadAsync();
        var badPhase = await Server.Client.GetAsync("/api/v1/operations?phase=Done", Ct);
        var badFilter = await Server.Client.GetAsync("/api/v1/operations?state=Succeeded", Ct);

        Assert.Equal([a.ToString()], byTarget["items"]!.AsArray().Select(i => (string)i!["metadata"]!["name"]!));
        Assert.Single(page["items"]!.AsArray());
        var token = Uri.EscapeDataString((string)page["metadata"]!["continue"]!);
        var second = await (await Server.Client.GetAsync($"/api/v1/operations?workflow=demo&phase=Succeeded&limit=1&continue={token}", Ct)).ReadAsync();
        Assert.NotEqual((string?)page["items"]![0]!["metadata"]!["name"], (string?)second["items"]![0]!["metadata"]!["name"]);
        await badPhase.AssertProblemAsync(400, "invalid-query", "phase");
        await badFilter.AssertProblemAsync(400, "invalid-query", "state");
    }

    [Fact]
    public async Task UnknownOperation_Answers404()
    {
        var missing = await Server.Client.GetAsync($"/api/v1/operations/{Guid.NewGuid()}", Ct);
        var malformed = await Server.Client.GetAsync("/api/v1/operations/not-a-uid", Ct);
        var cancel = await Server.Client.PostAsync($"/api/v1/operations/{Guid.NewGuid()}/cancel", null, Ct);

        await missing.AssertProblemAsync(404, "not-found");
        await malformed.AssertProblemAsync(404, "not-found");
        await cancel.AssertProblemAsync(404, "not-found");
    }

    private Task<JsonNode> WaitForWaitingAsync(Guid id) => Poll.UntilAsync(async ct =>
    {
        var operation = await (await Server.Client.GetAsync($"/api/v1/operations/{id}", ct)).ReadAsync();
        return (string?)operation["status"]!["steps"]![1]!["state"] == "Waiting" ? operation : null;
    }, Deadline, $"operation {id} to wait");
}

public sealed class SqliteOperationsApiTests : OperationsApiTests
{
    protected override Task<StoreTarget> CreateStoreAsync() => Task.FromResult(StoreTarget.Sqlite());
}

public sealed class PostgresOperationsApiTests : OperationsApiTests
{
    protected override Task<StoreTarget> CreateStoreAsync() => StoreTarget.PostgresAsync();
}
