using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Core.Provisioning.Bmc;

namespace Dflare.Drivers.Redfish;

/// <summary>
/// The production BMC driver: DMTF Redfish (DSP0266) over HTTP(S) with Basic authentication. It navigates from the
/// service root as the standard says rather than assuming paths, remembers where each BMC's system is (until the BMC
/// answers 404 there), expands collections in one request where the service root says it can (<c>$expand</c>), reads
/// the reset action's target from the system, and sets the boot override with PATCH and If-Match, re-reading once if
/// the ETag moved.
/// </summary>
public sealed class RedfishBmcDriver(HttpClient http, TimeSpan requestTimeout) : IBmcDriver
{
    /// <summary>What navigation found per BMC address: the system's path and the <c>$expand</c> form it supports.</summary>
    private readonly ConcurrentDictionary<Uri, BmcLayout> _layouts = new();

    private sealed record BmcLayout(string SystemPath, string? Expand);

    public async Task<BmcSystem> GetSystemAsync(BmcEndpoint bmc, CancellationToken cancellationToken)
    {
        var (system, _, _, layout) = await ReadSystemAsync(bmc, cancellationToken);
        var processorsPath = Link(system, "Processors");
        var processors = await GetAsync(bmc, layout.Expand is { } expand ? $"{processorsPath}?$expand={expand}" : processorsPath, cancellationToken);
        var gpus = new List<BmcGpu>();
        foreach (var member in (processors.Body["Members"] as JsonArray ?? []).OfType<JsonObject>())
        {
            // An expanded member is the processor itself; otherwise it is a link to follow.
            var processor = member.ContainsKey("ProcessorType") ? member
                : (string?)member["@odata.id"] is { } link ? (await GetAsync(bmc, link, cancellationToken)).Body : null;
            if ((string?)processor?["ProcessorType"] == "GPU")
            {
                gpus.Add(new BmcGpu((string?)processor["Id"] ?? "", (string?)processor["Model"] ?? "", (string?)processor["SerialNumber"] ?? ""));
            }
        }
        var boot = system["Boot"] as JsonObject;
        return new BmcSystem(
            (string?)system["SerialNumber"] ?? "",
            (string?)system["Model"] ?? "",
            ParseEnum<PowerState>(system["PowerState"], "PowerState"),
            ParseEnum<BootTarget>(boot?["BootSourceOverrideTarget"] ?? "None", "Boot.BootSourceOverrideTarget"),
            ParseEnum<BootOverrideMode>(boot?["BootSourceOverrideEnabled"] ?? "Disabled", "Boot.BootSourceOverrideEnabled"),
            (int?)system["ProcessorSummary"]?["Count"] ?? 0,
            (int?)system["MemorySummary"]?["TotalSystemMemoryGiB"] ?? 0,
            gpus);
    }

    public async Task ResetAsync(BmcEndpoint bmc, ResetKind reset, CancellationToken cancellationToken)
    {
        var (system, _, _, _) = await ReadSystemAsync(bmc, cancellationToken);
        var target = (string?)system["Actions"]?["#ComputerSystem.Reset"]?["target"]
            ?? throw new BmcException(BmcFailure.Protocol, $"{bmc}: the system offers no ComputerSystem.Reset action.");
        await SendAsync(bmc, HttpMethod.Post, target, new JsonObject { ["ResetType"] = reset.ToString() }, etag: null, cancellationToken);
    }

    public async Task SetBootOverrideAsync(BmcEndpoint bmc, BootTarget target, bool once, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["Boot"] = new JsonObject
            {
                ["BootSourceOverrideTarget"] = target.ToString(),
                ["BootSourceOverrideEnabled"] = (target == BootTarget.None ? BootOverrideMode.Disabled : once ? BootOverrideMode.Once : BootOverrideMode.Continuous).ToString(),
            },
        };
        for (var attempt = 1; ; attempt++)
        {
            var (_, path, etag, _) = await ReadSystemAsync(bmc, cancellationToken);
            try
            {
                await SendAsync(bmc, HttpMethod.Patch, path, body, etag, cancellationToken);
                return;
            }
            catch (PreconditionFailedException) when (attempt < 2)
            {
                // Someone changed the system between our read and our write: read again and retry once.
            }
        }
    }

    private async Task<(JsonObject System, string Path, string? ETag, BmcLayout Layout)> ReadSystemAsync(BmcEndpoint bmc, CancellationToken cancellationToken)
    {
        if (_layouts.TryGetValue(bmc.Address, out var known))
        {
            if (await GetAsync(bmc, known.SystemPath, missingIsNull: true, cancellationToken) is { } cached)
            {
                return (cached.Body, known.SystemPath, ETagOf(cached), known);
            }
            // The BMC was replaced or reconfigured: navigate again from its service root.
            _layouts.TryRemove(bmc.Address, out _);
        }
        var root = await GetAsync(bmc, "redfish/v1", cancellationToken);
        var systems = await GetAsync(bmc, Link(root.Body, "Systems"), cancellationToken);
        var path = Members(systems).FirstOrDefault() ?? throw new BmcException(BmcFailure.Protocol, $"{bmc}: the Systems collection is empty.");
        var system = await GetAsync(bmc, path, cancellationToken);
        var layout = new BmcLayout(path, ExpandOf(root.Body));
        _layouts[bmc.Address] = layout;
        return (system.Body, path, ETagOf(system), layout);
    }

    private static string? ETagOf((JsonObject Body, string? ETag) resource) => resource.ETag ?? (string?)resource.Body["@odata.etag"];

    /// <summary>The <c>$expand</c> that gives a collection's members in place, one level deep, if the service root's
    /// <c>ProtocolFeaturesSupported.ExpandQuery</c> offers one (DSP0266 §7.3): <c>.</c> (no Links), else <c>*</c>.</summary>
    private static string? ExpandOf(JsonObject root)
    {
        var expand = root["ProtocolFeaturesSupported"]?["ExpandQuery"];
        var levels = (bool?)expand?["Levels"] == true ? "($levels=1)" : "";
        return (bool?)expand?["NoLinks"] == true ? "." + levels
            : (bool?)expand?["ExpandAll"] == true ? "*" + levels
            : null;
    }

    private async Task<(JsonObject Body, string? ETag)> GetAsync(BmcEndpoint bmc, string path, CancellationToken cancellationToken) =>
        (await GetAsync(bmc, path, missingIsNull: false, cancellationToken))!.Value;

    /// <summary>A GET; with <paramref name="missingIsNull"/>, a 404 answers null instead of failing.</summary>
    private async Task<(JsonObject Body, string? ETag)?> GetAsync(BmcEndpoint bmc, string path, bool missingIsNull, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(bmc, HttpMethod.Get, path, null, null, missingIsNull, cancellationToken);
        if (response is null)
        {
            return null;
        }
        var body = await ReadJsonAsync(bmc, response, cancellationToken);
        return (body, response.Headers.ETag?.ToString());
    }

    private async Task SendAsync(BmcEndpoint bmc, HttpMethod method, string path, JsonObject body, string? etag, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(bmc, method, path, body, etag, missingIsNull: false, cancellationToken);
    }

    private async Task<HttpResponseMessage?> SendRawAsync(
        BmcEndpoint bmc, HttpMethod method, string path, JsonObject? body, string? etag, bool missingIsNull, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, Resolve(bmc, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{bmc.Username}:{bmc.Password}")));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Add("OData-Version", "4.0");
        if (etag is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", etag);
        }
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(requestTimeout);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BmcException(BmcFailure.Unreachable, $"{bmc}: no answer to {method} {path} within {requestTimeout.TotalSeconds:F0} s.");
        }
        catch (HttpRequestException ex)
        {
            throw new BmcException(BmcFailure.Unreachable, $"{bmc}: {ex.Message}", ex);
        }
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        if (missingIsNull && response.StatusCode == HttpStatusCode.NotFound)
        {
            response.Dispose();
            return null;
        }
        using (response)
        {
            var message = await RedfishMessageAsync(response, cancellationToken);
            throw response.StatusCode switch
            {
                HttpStatusCode.PreconditionFailed => new PreconditionFailedException(),
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new BmcException(BmcFailure.Unauthorized, $"{bmc}: the credentials were refused ({(int)response.StatusCode}): {message}"),
                HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests => new BmcException(BmcFailure.Busy, $"{bmc}: busy ({(int)response.StatusCode}): {message}"),
                HttpStatusCode.BadRequest => new BmcException(BmcFailure.Rejected, $"{bmc}: {method} {path} was rejected: {message}"),
                _ => new BmcException(BmcFailure.Protocol, $"{bmc}: {method} {path} answered {(int)response.StatusCode}: {message}"),
            };
        }
    }

    private static Uri Resolve(BmcEndpoint bmc, string path)
    {
        // Redfish links are absolute paths from the BMC's origin; a simulated BMC lives under a path prefix, so links it
        // gives already include it, and only the service root is relative to the endpoint.
        var address = bmc.Address.ToString().TrimEnd('/') + "/";
        return path.StartsWith('/') ? new Uri(bmc.Address, path) : new Uri(new Uri(address), path);
    }

    private static async Task<JsonObject> ReadJsonAsync(BmcEndpoint bmc, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken)
                ?? throw new BmcException(BmcFailure.Protocol, $"{bmc}: an empty answer from {response.RequestMessage?.RequestUri}.");
        }
        catch (JsonException ex)
        {
            throw new BmcException(BmcFailure.Protocol, $"{bmc}: an answer that is not JSON from {response.RequestMessage?.RequestUri}.", ex);
        }
    }

    private static async Task<string> RedfishMessageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            var error = JsonNode.Parse(text)?["error"];
            return $"{error?["code"]}: {error?["message"]}";
        }
        catch (JsonException)
        {
            return text.Length > 200 ? text[..200] : text;
        }
    }

    private static string Link(JsonObject resource, string property) =>
        (string?)resource[property]?["@odata.id"] ?? throw new BmcException(BmcFailure.Protocol, $"the resource has no {property} link.");

    private static IEnumerable<string> Members((JsonObject Body, string? ETag) collection) =>
        (collection.Body["Members"] as JsonArray ?? []).Select(m => (string?)m?["@odata.id"]).OfType<string>();

    private static T ParseEnum<T>(JsonNode? value, string property) where T : struct, Enum =>
        Enum.TryParse<T>((string?)value, out var parsed) && Enum.IsDefined(parsed)
            ? parsed
            : throw new BmcException(BmcFailure.Protocol, $"{property} '{value}' is not a value Dflare knows.");

    private sealed class PreconditionFailedException : Exception;
}
