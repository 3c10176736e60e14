using Dflare.Core.Provisioning.Bmc;
using Dflare.Drivers.Redfish;
using Dflare.Simulation.Bmc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dflare.Tests.Provisioning;

/// <summary>What every BMC driver must do, against the same simulated BMCs: the Redfish driver over real HTTP, and the
/// in-process simulator driver.</summary>
public abstract class BmcDriverContractTests : IAsyncLifetime
{
    protected SimulatedBmcs Bmcs { get; } = new();

    protected SimulatedBmc Node { get; private set; } = null!;

    protected IBmcDriver Driver { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract Task<IBmcDriver> CreateDriverAsync();

    protected abstract BmcEndpoint EndpointOf(SimulatedBmc bmc, string? password = null);

    public virtual async ValueTask InitializeAsync()
    {
        Node = Bmcs.Add(new SimulatedBmc("r1-n01", "admin", "s3cret", "SN-R1N01", "HGX H100 8-GPU", 112, 2048,
            [.. Enumerable.Range(0, 8).Select(i => new BmcGpu($"GPU{i}", "H100-SXM5-80GB", $"GPU-SN-{i:000}"))]));
        Driver = await CreateDriverAsync();
    }

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task GetSystem_ReportsInventoryPowerAndBootOverride()
    {
        var system = await Driver.GetSystemAsync(EndpointOf(Node), Ct);

        Assert.Equal("SN-R1N01", system.SerialNumber);
        Assert.Equal("HGX H100 8-GPU", system.Model);
        Assert.Equal(112, system.CpuCount);
        Assert.Equal(2048, system.MemoryGiB);
        Assert.Equal(PowerState.Off, system.Power);
        Assert.Equal(BootTarget.None, system.BootOverride);
        Assert.Equal(BootOverrideMode.Disabled, system.BootOverrideMode);
        Assert.Equal(8, system.Gpus.Count);
        Assert.Equal(new BmcGpu("GPU3", "H100-SXM5-80GB", "GPU-SN-003"), system.Gpus[3]);
    }

    [Fact]
    public async Task Reset_OnThenForceOff_SwitchesPower()
    {
        await Driver.ResetAsync(EndpointOf(Node), ResetKind.On, Ct);
        var on = await Driver.GetSystemAsync(EndpointOf(Node), Ct);
        await Driver.ResetAsync(EndpointOf(Node), ResetKind.ForceOff, Ct);
        var off = await Driver.GetSystemAsync(EndpointOf(Node), Ct);

        Assert.Equal(PowerState.On, on.Power);
        Assert.Equal(PowerState.Off, off.Power);
    }

    [Fact]
    public async Task PxeOverrideOnce_IsUsedByTheNextBoot_ThenCleared()
    {
        await Driver.SetBootOverrideAsync(EndpointOf(Node), BootTarget.Pxe, once: true, Ct);
        var armed = await Driver.GetSystemAsync(EndpointOf(Node), Ct);
        await Driver.ResetAsync(EndpointOf(Node), ResetKind.On, Ct);
        var booted = await Driver.GetSystemAsync(EndpointOf(Node), Ct);
        await Driver.ResetAsync(EndpointOf(Node), ResetKind.ForceRestart, Ct);

        Assert.Equal((BootTarget.Pxe, BootOverrideMode.Once), (armed.BootOverride, armed.BootOverrideMode));
        Assert.Equal((BootTarget.None, BootOverrideMode.Disabled), (booted.BootOverride, booted.BootOverrideMode));
        Assert.Equal(2, Node.Boots);
        Assert.Equal(BootTarget.Hdd, Node.LastBootSource);
    }

    [Fact]
    public async Task ContinuousOverride_StaysForEveryBoot()
    {
        await Driver.SetBootOverrideAsync(EndpointOf(Node), BootTarget.Pxe, once: false, Ct);
        await Driver.ResetAsync(EndpointOf(Node), ResetKind.On, Ct);
        await Driver.ResetAsync(EndpointOf(Node), ResetKind.ForceRestart, Ct);
        var system = await Driver.GetSystemAsync(EndpointOf(Node), Ct);

        Assert.Equal(BootTarget.Pxe, Node.LastBootSource);
        Assert.Equal((BootTarget.Pxe, BootOverrideMode.Continuous), (system.BootOverride, system.BootOverrideMode));
    }

    [Fact]
    public async Task WrongPassword_IsUnauthorized_AndNotTransient()
    {
        var error = await Assert.ThrowsAsync<BmcException>(() => Driver.GetSystemAsync(EndpointOf(Node, "wrong"), Ct));

        Assert.Equal(BmcFailure.Unauthorized, error.Failure);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task BusyBmc_IsBusy_AndTransient()
    {
        Node.Fault = BmcFault.Busy;

        var error = await Assert.ThrowsAsync<BmcException>(() => Driver.ResetAsync(EndpointOf(Node), ResetKind.On, Ct));

        Assert.Equal(BmcFailure.Busy, error.Failure);
        Assert.True(error.IsTransient);
        Assert.Equal(0, Node.Boots);
    }

    [Fact]
    public async Task HungBmc_IsUnreachable_AndTransient()
    {
        Node.Fault = BmcFault.Timeout;

        var error = await Assert.ThrowsAsync<BmcException>(() => Driver.GetSystemAsync(EndpointOf(Node), Ct));

        Assert.Equal(BmcFailure.Unreachable, error.Failure);
        Assert.True(error.IsTransient);
    }
}

public sealed class SimulatorBmcDriverTests : BmcDriverContractTests
{
    protected override Task<IBmcDriver> CreateDriverAsync() => Task.FromResult<IBmcDriver>(new SimulatorBmcDriver(Bmcs));

    protected override BmcEndpoint EndpointOf(SimulatedBmc bmc, string? password = null) => SimulatorBmcDriver.EndpointOf(bmc, password);
}

public sealed class RedfishBmcDriverTests : BmcDriverContractTests
{
    private readonly RequestLog _requests = new();
    private WebApplication? _app;
    private HttpClient? _http;
    private Uri _base = null!;

    protected override async Task<IBmcDriver> CreateDriverAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapRedfishBmcs(Bmcs);
        await _app.StartAsync(Ct);
        _base = new Uri(_app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        _http = new HttpClient();
        return new RedfishBmcDriver(new HttpClient(new RequestLog.Handler(_requests)), TimeSpan.FromSeconds(1));
    }

    protected override BmcEndpoint EndpointOf(SimulatedBmc bmc, string? password = null) =>
        new(new Uri(_base, $"/bmc/{bmc.Id}"), bmc.Username, password ?? bmc.Password);

    public override async ValueTask DisposeAsync()
    {
        _http?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
        await base.DisposeAsync();
    }

    [Fact]
    public async Task ServiceRoot_IsRedfish()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_base, $"/bmc/{Node.Id}/redfish/v1"));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("admin:s3cret"u8.ToArray()));

        var response = await _http!.SendAsync(request, Ct);
        var root = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;

        Assert.Equal("4.0", response.Headers.GetValues("OData-Version").Single());
        Assert.Equal($"/bmc/{Node.Id}/redfish/v1", (string?)root["@odata.id"]);
        Assert.StartsWith("#ServiceRoot.", (string?)root["@odata.type"], StringComparison.Ordinal);
        Assert.Equal($"/bmc/{Node.Id}/redfish/v1/Systems", (string?)root["Systems"]!["@odata.id"]);
    }

    [Fact]
    public async Task InvalidResetType_AnswersARedfishError()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_base, $"/bmc/{Node.Id}/redfish/v1/Systems/1/Actions/ComputerSystem.Reset"))
        {
            Content = new StringContent("""{"ResetType":"Explode"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("admin:s3cret"u8.ToArray()));

        var response = await _http!.SendAsync(request, Ct);
        var body = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("Base.1.8.ActionParameterValueNotInList", (string?)body["error"]!["code"]);
        Assert.Equal(0, Node.Boots);
    }

    [Fact]
    public async Task BootOverride_WithStaleETag_Answers412()
    {
        Node.Snapshot(out var stale);
        Node.Reset(ResetKind.On);
        using var request = new HttpRequestMessage(HttpMethod.Patch, new Uri(_base, $"/bmc/{Node.Id}/redfish/v1/Systems/1"))
        {
            Content = new StringContent("""{"Boot":{"BootSourceOverrideTarget":"Pxe","BootSourceOverrideEnabled":"Once"}}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("admin:s3cret"u8.ToArray()));
        request.Headers.TryAddWithoutValidation("If-Match", stale);

        var response = await _http!.SendAsync(request, Ct);

        Assert.Equal(412, (int)response.StatusCode);
        Assert.Equal(BootTarget.None, Node.Snapshot(out _).BootOverride);
    }

    [Fact]
    public async Task GetSystem_ExpandsProcessorsInOneRequest_AndRemembersWhereTheSystemIs()
    {
        var first = await Driver.GetSystemAsync(EndpointOf(Node), Ct);
        var navigation = _requests.Take();
        var second = await Driver.GetSystemAsync(EndpointOf(Node), Ct);

        var prefix = $"/bmc/{Node.Id}/redfish/v1";
        Assert.Equal<string>([$"GET {prefix}", $"GET {prefix}/Systems", $"GET {prefix}/Systems/1", $"GET {prefix}/Systems/1/Processors?$expand=.($levels=1)"], navigation);
        Assert.Equal<string>([$"GET {prefix}/Systems/1", $"GET {prefix}/Systems/1/Processors?$expand=.($levels=1)"], _requests.Take());
        Assert.Equal(8, first.Gpus.Count);
        Assert.Equal(first.Gpus, second.Gpus);
    }

    [Fact]
    public async Task GetSystem_OnABmcWithoutExpand_FollowsEveryProcessorLink()
    {
        Node.SupportsExpand = false;

        var system = await Driver.GetSystemAsync(EndpointOf(Node), Ct);

        var requests = _requests.Take();
        Assert.Equal(3 + 1 + 9, requests.Count); // navigation, the collection, then the CPU and 8 GPUs one by one
        Assert.DoesNotContain(requests, r => r.Contains("$expand", StringComparison.Ordinal));
        Assert.Equal(new BmcGpu("GPU3", "H100-SXM5-80GB", "GPU-SN-003"), system.Gpus[3]);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("*($levels=5)")]
    public async Task UnsupportedExpand_AnswersARedfishError(string expand)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_base, $"/bmc/{Node.Id}/redfish/v1/Systems/1/Processors?$expand={Uri.EscapeDataString(expand)}"));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("admin:s3cret"u8.ToArray()));

        var response = await _http!.SendAsync(request, Ct);
        var body = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("Base.1.8.QueryParameterValueFormatError", (string?)body["error"]!["code"]);
    }

    [Fact]
    public async Task RememberedSystem_AnsweringNotFound_IsFoundAgainFromTheServiceRoot()
    {
        var moving = new MovingSystemBmc();
        var driver = new RedfishBmcDriver(new HttpClient(moving), TimeSpan.FromSeconds(1));
        var endpoint = new BmcEndpoint(new Uri("http://bmc.test/"), "admin", "s3cret");
        await driver.ResetAsync(endpoint, ResetKind.On, Ct);

        moving.SystemId = "2"; // the BMC was replaced: its system has another id now
        await driver.ResetAsync(endpoint, ResetKind.ForceOff, Ct);

        Assert.Equal<string>(["POST /redfish/v1/Systems/1/Actions/ComputerSystem.Reset On", "POST /redfish/v1/Systems/2/Actions/ComputerSystem.Reset ForceOff"], moving.Resets);
    }

    /// <summary>The requests a driver sent, as "METHOD path?query".</summary>
    private sealed class RequestLog
    {
        private readonly List<string> _seen = [];

        public List<string> Take()
        {
            lock (_seen)
            {
                var taken = _seen.ToList();
                _seen.Clear();
                return taken;
            }
        }

        public sealed class Handler(RequestLog log) : DelegatingHandler(new HttpClientHandler())
        {
            protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                lock (log._seen)
                {
                    log._seen.Add($"{request.Method} {Uri.UnescapeDataString(request.RequestUri!.PathAndQuery)}");
                }
                return base.SendAsync(request, cancellationToken);
            }
        }
    }

    /// <summary>A wire-level fake for what the simulated BMCs cannot do: a system whose path changes under the driver.</summary>
    private sealed class MovingSystemBmc : HttpMessageHandler
    {
        public string SystemId { get; set; } = "1";

        public List<string> Resets { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            var system = $"/redfish/v1/Systems/{SystemId}";
            System.Text.Json.Nodes.JsonNode? body = path switch
            {
                "/redfish/v1" => new System.Text.Json.Nodes.JsonObject { ["Systems"] = new System.Text.Json.Nodes.JsonObject { ["@odata.id"] = "/redfish/v1/Systems" } },
                "/redfish/v1/Systems" => new System.Text.Json.Nodes.JsonObject { ["Members"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["@odata.id"] = system }) },
                _ when path == system => new System.Text.Json.Nodes.JsonObject
                {
                    ["@odata.id"] = system,
                    ["Actions"] = new System.Text.Json.Nodes.JsonObject { ["#ComputerSystem.Reset"] = new System.Text.Json.Nodes.JsonObject { ["target"] = $"{system}/Actions/ComputerSystem.Reset" } },
                },
                _ => null,
            };
            if (request.Method == HttpMethod.Post && path == $"{system}/Actions/ComputerSystem.Reset")
            {
                var reset = System.Text.Json.Nodes.JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken))!["ResetType"];
                Resets.Add($"POST {path} {reset}");
                return new HttpResponseMessage(System.Net.HttpStatusCode.NoContent);
            }
            return body is null
                ? new HttpResponseMessage(System.Net.HttpStatusCode.NotFound) { Content = new StringContent("""{"error":{"code":"Base.1.8.ResourceMissingAtURI","message":"gone"}}""") }
                : new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
        }
    }
}
