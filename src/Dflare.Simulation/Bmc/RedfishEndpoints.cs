using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Core.Provisioning.Bmc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Dflare.Simulation.Bmc;

/// <summary>
/// The Redfish service of every simulated BMC, each under <c>/bmc/{id}/redfish/v1</c>: service root, the system
/// with power state, boot override (PATCH with If-Match) and the <c>ComputerSystem.Reset</c> action, its processors
/// (CPUs and GPUs), a manager and a chassis; HTTP Basic authentication; Redfish error bodies.
/// </summary>
public static class RedfishEndpoints
{
    public const string Prefix = "/bmc/{bmc}/redfish/v1";
    private const string SystemId = "1";

    public static RouteGroupBuilder MapRedfishBmcs(this IEndpointRouteBuilder endpoints, SimulatedBmcs bmcs) =>
        Map(endpoints.MapGroup(Prefix), new Site(http => bmcs.Find((string)http.Request.RouteValues["bmc"]!), bmc => $"/bmc/{bmc.Id}/redfish/v1"));

    /// <summary>Like <see cref="MapRedfishBmcs(IEndpointRouteBuilder, SimulatedBmcs)"/>, with the BMCs resolved per request
    /// from the request's services (so mapping does not build the simulated datacenter before configuration is checked).</summary>
    public static RouteGroupBuilder MapRedfishBmcs(this IEndpointRouteBuilder endpoints) =>
        Map(endpoints.MapGroup(Prefix), new Site(
            http => http.RequestServices.GetRequiredService<SimulatedBmcs>().Find((string)http.Request.RouteValues["bmc"]!), bmc => $"/bmc/{bmc.Id}/redfish/v1"));

    /// <summary>One BMC at the root (<c>/redfish/v1</c>), as a real BMC on its own address serves it: what
    /// independent clients such as DMTF's redfishtool expect.</summary>
    public static RouteGroupBuilder MapRedfishBmc(this IEndpointRouteBuilder endpoints, SimulatedBmc bmc)
    {
        // The versions document clients read first (DSP0266 §"Service root"): unauthenticated, as the standard says.
        endpoints.MapGet("/redfish", () => Results.Json(new JsonObject { ["v1"] = "/redfish/v1/" }));
        return Map(endpoints.MapGroup("/redfish/v1"), new Site(_ => bmc, _ => "/redfish/v1"));
    }

    /// <summary>How a request finds its BMC, and where that BMC's service root is.</summary>
    private sealed record Site(Func<HttpContext, SimulatedBmc?> Find, Func<SimulatedBmc, string> Root);

    private static RouteGroupBuilder Map(RouteGroupBuilder redfish, Site bmcs)
    {
        // The service root answers without credentials, as DSP0266 requires (clients discover the service with it).
        redfish.MapGet("", (HttpContext http, CancellationToken _) => AnswerAsync(http, bmcs, (bmc, root) => Json(ServiceRoot(bmc, root)), anonymous: true));
        redfish.MapGet("Systems", (HttpContext http, CancellationToken _) => AnswerAsync(http, bmcs, (_, root) => Json(Collection(
            $"{root}/Systems", "#ComputerSystemCollection.ComputerSystemCollection", "Computer System Collection", [$"{root}/Systems/{SystemId}"]))));
        redfish.MapGet($"Systems/{SystemId}", (HttpContext http, CancellationToken _) => AnswerAsync(http, bmcs, (bmc, root) => Json(SystemResource(http, bmc, root))));
        redfish.MapMethods($"Systems/{SystemId}", ["PATCH"], (HttpContext http, CancellationToken _) => AnswerAsync(http, bmcs, (bmc, root) => PatchSystemAsync(http, bmc, root)));
        redfish.MapPost($"Systems/{SystemId}/Actions/ComputerSystem.Reset", (HttpContext http, CancellationToken _) => AnswerAsync(http, bmcs, (bmc, _) => ResetSystemAsync(http, bmc)));
        redfish.MapGet($"Systems/{SystemId}/Processors", (HttpContext http, CancellationToken _) => AnswerAsync(http, bmcs, (bmc, root) =>
        {
            string[] ids = [.. Enumerable.Range(0, bmc.Cpus > 0 ? 1 : 0).Select(i => $"CPU{i}"), .. bmc.Gpus.Select(g => g.Id)];
            var collection = Collection($"{root}/Systems/{SystemId}/Processors", "#ProcessorCollection.ProcessorCollection", "Processors Collection",
                [.. ids.Select(id => $"{root}/Systems/{SystemId}/Processors/{id}")]);
            if (!http.Request.Query.TryGetValue("$expand", out var expand) || !bmc.SupportsExpand)
            {
                return Json(collection);
            }
            if (!IsSupportedExpand(expand.ToString()))
            {
                return Task.FromResult(Error(StatusCodes.Status400BadRequest, "Base.1.8.QueryParameterValueFormatError",
                    $"$expand '{expand}' is not one of *, . or ~, with at most ($levels=1)."));
            }
            // '~' expands only what is under Links, and a collection's members are not.
            if (!expand.ToString().StartsWith('~'))
            {
                collection["Members"] = new JsonArray([.. ids.Select(id => (JsonNode)Processor(bmc, root, id))]);
            }
            return Json(collection);
        }));
        redfish.MapGet($"Systems/{SystemId}/Processors/{{processor}}", (HttpContext http, CancellationToken _) => AnswerAsync(http, bmcs, (bmc, root) =>
            Json(Processor(bmc, root, (string)http.Request.RouteValues["processor"]!))));
        redfish.MapGet("Managers", (HttpContext http, CancellationToken _) => AnswerAsync(http, bmcs, (_, root) => Json(Collection(
            $"{root}/Managers", "#ManagerCollection.ManagerCollection", "Manager Collection", [$"{root}/Managers/BMC"]))));
        redfish.MapGet("Managers/BMC", (HttpContext http, CancellationToken _) => AnswerAsync(http, bmcs, (_, root) => Json(new JsonObject
        {
            ["@odata.id"] = $"{root}/Managers/BMC",
            ["@odata.type"] = "#Manager.v1_19_0.Manager",
            ["Id"] = "BMC",
            ["Name"] = "Simulated BMC",
            ["ManagerType"] = "BMC",
            ["FirmwareVersion"] = "dflare-sim-1.0",
            ["Status"] = new JsonObject { ["State"] = "Enabled", ["Health"] = "OK" },
        })));
        redfish.MapGet("Chassis", (HttpContext http, CancellationToken _) => AnswerAsync(http, bmcs, (_, root) => Json(Collection(
            $"{root}/Chassis", "#ChassisCollection.ChassisCollection", "Chassis Collection", [$"{root}/Chassis/1"]))));
        redfish.MapGet("Chassis/1", (HttpContext http, CancellationToken _) => AnswerAsync(http, bmcs, (bmc, root) => Json(new JsonObject
        {
            ["@odata.id"] = $"{root}/Chassis/1",
            ["@odata.type"] = "#Chassis.v1_25_0.Chassis",
            ["Id"] = "1",
            ["Name"] = "Computer System Chassis",
            ["ChassisType"] = "RackMount",
            ["SerialNumber"] = bmc.SerialNumber,
            ["PowerState"] = bmc.Snapshot(out var chassisEtag).Power.ToString(),
        })));
        return redfish;
    }

    private static JsonObject ServiceRoot(SimulatedBmc bmc, string root)
    {
        var service = new JsonObject
        {
            ["@odata.id"] = root,
            ["@odata.type"] = "#ServiceRoot.v1_15_0.ServiceRoot",
            ["Id"] = "RootService",
            ["Name"] = "Root Service",
            ["RedfishVersion"] = "1.17.0",
            ["UUID"] = Uuid(bmc),
            ["Systems"] = Link($"{root}/Systems"),
            ["Chassis"] = Link($"{root}/Chassis"),
            ["Managers"] = Link($"{root}/Managers"),
        };
        if (bmc.SupportsExpand)
        {
            // Collections expand one level in place (DSP0266 §7.3), which spares a client a request per member.
            service["ProtocolFeaturesSupported"] = new JsonObject
            {
                ["ExpandQuery"] = new JsonObject { ["ExpandAll"] = true, ["NoLinks"] = true, ["Links"] = true, ["Levels"] = true, ["MaxLevels"] = 1 },
            };
        }
        return service;
    }

    /// <summary><c>*</c>, <c>.</c> or <c>~</c>, alone or with <c>($levels=1)</c>: what the service root advertises.</summary>
    private static bool IsSupportedExpand(string value) =>
        value is "*" or "." or "~" or "*($levels=1)" or ".($levels=1)" or "~($levels=1)";

    /// <summary>Authenticates, applies the BMC's injected fault, and writes the resource (or error) Redfish-style.</summary>
    private static async Task<IResult> AnswerAsync(HttpContext http, Site site, Func<SimulatedBmc, string, Task<IResult>> handle, bool anonymous = false)
    {
        var bmc = site.Find(http);
        if (bmc is null)
        {
            return Error(StatusCodes.Status404NotFound, "Base.1.8.ResourceMissingAtURI", "No BMC answers at this address.");
        }
        switch (bmc.Fault)
        {
            case BmcFault.Timeout:
                // Accept the connection and never answer, as a hung BMC does; ends when the client gives up.
                await new TaskCompletionSource().Task.WaitAsync(http.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return Results.Empty;
            case BmcFault.Busy:
                http.Response.Headers.RetryAfter = "5";
                return Error(StatusCodes.Status503ServiceUnavailable, "Base.1.8.ServiceTemporarilyUnavailable", "The BMC is restarting.");
        }
        if (!anonymous && !Authenticated(http, bmc))
        {
            http.Response.Headers.WWWAuthenticate = "Basic realm=\"BMC\"";
            return Error(StatusCodes.Status401Unauthorized, "Base.1.8.NoValidSession", "The credentials were not accepted.");
        }
        var root = site.Root(bmc);
        http.Response.Headers["OData-Version"] = "4.0";
        return await handle(bmc, root);
    }

    private static JsonObject SystemResource(HttpContext http, SimulatedBmc bmc, string root)
    {
        var system = bmc.Snapshot(out var etag);
        http.Response.Headers.ETag = etag;
        var path = $"{root}/Systems/{SystemId}";
        return new JsonObject
        {
            ["@odata.id"] = path,
            ["@odata.type"] = "#ComputerSystem.v1_22_0.ComputerSystem",
            ["@odata.etag"] = etag,
            ["Id"] = SystemId,
            ["Name"] = "Simulated GPU node",
            ["SystemType"] = "Physical",
            ["Manufacturer"] = "Dflare Simulation",
            ["Model"] = system.Model,
            ["SerialNumber"] = system.SerialNumber,
            ["UUID"] = Uuid(bmc),
            ["PowerState"] = system.Power.ToString(),
            ["Status"] = new JsonObject { ["State"] = "Enabled", ["Health"] = "OK" },
            ["Boot"] = new JsonObject
            {
                ["BootSourceOverrideTarget"] = system.BootOverride.ToString(),
                ["BootSourceOverrideEnabled"] = system.BootOverrideMode.ToString(),
                ["BootSourceOverrideTarget@Redfish.AllowableValues"] = new JsonArray("None", "Pxe", "Hdd"),
            },
            ["ProcessorSummary"] = new JsonObject { ["Count"] = system.CpuCount },
            ["MemorySummary"] = new JsonObject { ["TotalSystemMemoryGiB"] = system.MemoryGiB },
            ["Processors"] = Link($"{path}/Processors"),
            ["Actions"] = new JsonObject
            {
                ["#ComputerSystem.Reset"] = new JsonObject
                {
                    ["target"] = $"{path}/Actions/ComputerSystem.Reset",
                    ["ResetType@Redfish.AllowableValues"] = new JsonArray("On", "ForceOff", "GracefulShutdown", "ForceRestart"),
                },
            },
        };
    }

    private static async Task<IResult> PatchSystemAsync(HttpContext http, SimulatedBmc bmc, string root)
    {
        var body = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted) as JsonObject;
        if (body?["Boot"] is not JsonObject boot)
        {
            return Error(StatusCodes.Status400BadRequest, "Base.1.8.PropertyMissing", "Only Boot may be changed on this system.");
        }
        if (!Enum.TryParse<BootTarget>((string?)boot["BootSourceOverrideTarget"] ?? "", out var target) || !Enum.IsDefined(target))
        {
            return Error(StatusCodes.Status400BadRequest, "Base.1.8.PropertyValueNotInList", $"BootSourceOverrideTarget '{boot["BootSourceOverrideTarget"]}' is not one of None, Pxe, Hdd.");
        }
        if (!Enum.TryParse<BootOverrideMode>((string?)boot["BootSourceOverrideEnabled"] ?? "Once", out var mode) || !Enum.IsDefined(mode))
        {
            return Error(StatusCodes.Status400BadRequest, "Base.1.8.PropertyValueNotInList", $"BootSourceOverrideEnabled '{boot["BootSourceOverrideEnabled"]}' is not one of Disabled, Once, Continuous.");
        }
        var ifMatch = http.Request.Headers.IfMatch.ToString();
        if (!bmc.TrySetBootOverride(target, mode, ifMatch.Length == 0 ? null : ifMatch))
        {
            return Error(StatusCodes.Status412PreconditionFailed, "Base.1.8.PreconditionFailed", "The ETag in If-Match is not the current one.");
        }
        return Results.Text(SystemResource(http, bmc, root).ToJsonString(), "application/json", Encoding.UTF8);
    }

    private static async Task<IResult> ResetSystemAsync(HttpContext http, SimulatedBmc bmc)
    {
        var body = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
        var requested = (string?)body?["ResetType"];
        if (!Enum.TryParse<ResetKind>(requested ?? "", out var reset) || !Enum.IsDefined(reset))
        {
            return Error(StatusCodes.Status400BadRequest, "Base.1.8.ActionParameterValueNotInList", $"ResetType '{requested}' is not one of On, ForceOff, GracefulShutdown, ForceRestart.");
        }
        bmc.Reset(reset);
        return Results.NoContent();
    }

    private static JsonObject Processor(SimulatedBmc bmc, string root, string processor)
    {
        var path = $"{root}/Systems/{SystemId}/Processors/{processor}";
        var gpu = bmc.Gpus.FirstOrDefault(g => g.Id == processor);
        return gpu is null
            ? new JsonObject { ["@odata.id"] = path, ["@odata.type"] = "#Processor.v1_20_0.Processor", ["Id"] = processor, ["ProcessorType"] = "CPU", ["TotalCores"] = bmc.Cpus }
            : new JsonObject { ["@odata.id"] = path, ["@odata.type"] = "#Processor.v1_20_0.Processor", ["Id"] = gpu.Id, ["ProcessorType"] = "GPU", ["Model"] = gpu.Model, ["SerialNumber"] = gpu.SerialNumber };
    }

    private static bool Authenticated(HttpContext http, SimulatedBmc bmc)
    {
        if (!AuthenticationHeaderValue.TryParse(http.Request.Headers.Authorization, out var header) || header.Scheme != "Basic" || header.Parameter is null)
        {
            return false;
        }
        try
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter)).Split(':', 2);
            return pair.Length == 2 && bmc.Authenticates(pair[0], pair[1]);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static JsonObject Collection(string path, string type, string name, IReadOnlyList<string> members) => new()
    {
        ["@odata.id"] = path,
        ["@odata.type"] = type,
        ["Name"] = name,
        ["Members"] = new JsonArray([.. members.Select(m => (JsonNode)Link(m))]),
        ["Members@odata.count"] = members.Count,
    };

    private static JsonObject Link(string path) => new() { ["@odata.id"] = path };

    private static string Uuid(SimulatedBmc bmc) =>
        new Guid(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(bmc.SerialNumber))[..16]).ToString();

    /// <summary>A Redfish error body (DSP0266 §9.6.3).</summary>
    private static IResult Error(int status, string messageId, string message) => Results.Text(
        new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["code"] = messageId,
                ["message"] = message,
                ["@Message.ExtendedInfo"] = new JsonArray(new JsonObject { ["MessageId"] = messageId, ["Message"] = message, ["Severity"] = "Warning" }),
            },
        }.ToJsonString(),
        "application/json", Encoding.UTF8, status);

    private static Task<IResult> Json(JsonObject body) => Task.FromResult(Results.Text(body.ToJsonString(), "application/json", Encoding.UTF8));
}
