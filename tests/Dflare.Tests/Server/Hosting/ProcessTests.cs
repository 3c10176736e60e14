using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Server.Hosting;

/// <summary>The real executable, as the README runs it: it prints where its API is, serves, starts the simulated
/// datacenter whose every node reaches Ready, and stops cleanly on SIGTERM.</summary>
public sealed partial class ProcessTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Executable_PrintsAddresses_Serves_ProvisionsTheSimulatedDatacenter_AndStopsGracefullyOnSigterm()
    {
        var ct = TestContext.Current.CancellationToken;
        using var directory = new TempDirectory();
        var executable = Path.Combine(AppContext.BaseDirectory, "dflare-server.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { executable, "run", "--urls", "http://127.0.0.1:0", "--Agents:Url=https://127.0.0.1:0", "--data-dir", directory.Path },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory.Path,
        };
        using var process = Process.Start(start)!;
        try
        {
            var (apiUrl, credential) = await ReadBannerAsync(process, ct);
            using var client = new HttpClient { BaseAddress = new Uri(apiUrl) };
            client.DefaultRequestHeaders.Authorization = new("Bearer", credential);

            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz", ct)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/openapi/v1.json", ct)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz", ct)).StatusCode);
            // The default topology, 2 racks × 8 nodes × 8 GPUs, provisions itself through the real workflows.
            var ready = await Poll.UntilAsync(async token =>
            {
                var nodes = await (await client.GetAsync("/api/v1/nodes?state=Ready&limit=100", token)).ReadAsync();
                return nodes["items"]!.AsArray().Count == 16 ? nodes : null;
            }, Deadline, "the 16 simulated nodes to be Ready", TimeSpan.FromMilliseconds(500));
            Assert.All(ready["items"]!.AsArray(), n => Assert.Equal(8, n!["status"]!["gpus"]!.AsArray().Count));

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(ct);
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(Deadline);
            await process.WaitForExitAsync(timeout.Token);

            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task<(string ApiUrl, string Credential)> ReadBannerAsync(Process process, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Deadline);
        var seen = new List<string>();
        string? api = null;
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            seen.Add(line);
            var match = ApiLine().Match(line);
            if (match.Success)
            {
                api = match.Groups["base"].Value;
            }
            if (line.StartsWith("Press Ctrl+C", StringComparison.Ordinal) && api is not null)
            {
                var credential = seen.SkipWhile(l => !l.Contains("Admin credential", StringComparison.Ordinal)).Skip(1).First().Trim();
                // Keep draining the output, or the server blocks on a full pipe.
                _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                return (api, credential);
            }
        }
        var error = await process.StandardError.ReadToEndAsync(ct);
        throw new InvalidOperationException($"The server exited without printing its API address. stdout: {string.Join('\n', seen)} stderr: {error}");
    }

    [GeneratedRegex(@"^\s+API\s+(?<base>http://127\.0\.0\.1:\d+)/api/v1$")]
    private static partial Regex ApiLine();
}
