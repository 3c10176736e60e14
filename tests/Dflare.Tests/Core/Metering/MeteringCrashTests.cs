using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dflare.Core.Metering;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Core.Metering;

/// <summary>
/// The real control plane (dflare-server on PostgreSQL, rating every second) killed with SIGKILL again and again while a
/// collector sends the scripted month in batches — kills land mid-batch and mid-rating pass — and restarted each time;
/// the collector resends whatever was not acknowledged. Afterwards every invoice still equals the ground truth.
/// </summary>
public sealed partial class MeteringCrashTests(ITestOutputHelper output)
{
    private const int Kills = 8;

    [Fact]
    public async Task KilledDuringIngestionAndRating_TheInvoicesStillEqualTheGroundTruth()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var store = await StoreTarget.PostgresAsync();
        var connectionString = ((PostgresTarget)store).ConnectionString;
        var script = new UsageScript(seed: 424242, DateTimeOffset.UtcNow);
        var batches = script.Events.Chunk(20).ToList();
        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"seed {seed}, {script.Events.Count} events in {batches.Count} batches");

        var (host, client) = await StartAsync(connectionString, ct);
        try
        {
            foreach (var tenant in new[] { "acme", "globex" })
            {
                Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/v1/tenants", Json.Body(Json.Tenant(tenant)), ct)).StatusCode);
            }
            foreach (var book in script.PriceBooks())
            {
                Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/v1/price-books", Json.Body(book), ct)).StatusCode);
            }
            var next = 0;
            var kills = 0;
            // Once every batch is in, the remaining kills hit the rater alone.
            while (next < batches.Count || kills < Kills)
            {
                var sending = next < batches.Count;
                var send = sending
                    ? client.PostAsync("/api/v1/usage-events", new StringContent(JsonSerializer.Serialize(new { events = batches[next] }, JsonSerializerOptions.Web), Encoding.UTF8, "application/json"), ct)
                    : Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
                if (kills < Kills && (!sending || random.Next(batches.Count) < Kills * 2))
                {
                    // Choosing the moment of the kill, not waiting for anything: every other kill lands while the batch is
                    // in flight, the others after a pause, while a rating pass (every second) is likely midway.
                    await Task.Delay(kills % 2 == 0 ? random.Next(0, 30) : random.Next(300, 1500), ct);
                    host.Kill();
                    await host.WaitForExitAsync(ct);
                    kills++;
                    try
                    {
                        await send;
                    }
                    catch (HttpRequestException)
                    {
                        // Cut off: the collector does not know, and sends the batch again.
                    }
                    client.Dispose();
                    (host, client) = await StartAsync(connectionString, ct);
                    continue;
                }
                var response = await send;
                Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(ct));
                next++;
            }
            output.WriteLine($"{kills} kills");
            Assert.Equal(Kills, kills);
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/v1/metering/rate", null, ct)).StatusCode);
            await script.AssertInvoicedAsync(client);
        }
        finally
        {
            host.Kill();
            await host.WaitForExitAsync(CancellationToken.None);
            client.Dispose();
        }
    }

    private static async Task<(Process Host, HttpClient Client)> StartAsync(string connectionString, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList =
            {
                Path.Combine(AppContext.BaseDirectory, "dflare-server.dll"),
                "--urls", "http://127.0.0.1:0", "--Agents:Url=https://127.0.0.1:0", "--Simulation:Enabled=false", "--store", "Postgres",
                "--connection-string", connectionString, $"--Bootstrap:AdminCredential={TestServer.AdminCredential}",
                "--Metering:LateWindow=35.00:00:00", "--Metering:RateInterval=00:00:01", "--Logging:LogLevel:Default=Error",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start)!;
        var address = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data is not null && ApiLine().Match(line.Data) is { Success: true } match)
            {
                address.TrySetResult(new Uri(match.Groups[1].Value));
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var baseAddress = await address.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.AdminCredential);
        return (process, client);
    }

    [GeneratedRegex(@"^\s+API\s+(http://\S+?)/api/v1$")]
    private static partial Regex ApiLine();
}
