using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Server.Hosting;

/// <summary>The real executable, as the README runs it: it prints where its API is, serves, and stops cleanly on SIGTERM.</summary>
public sealed partial class ProcessTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Executable_PrintsAddresses_Serves_AndStopsGracefullyOnSigterm()
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
            var apiUrl = await ReadApiUrlAsync(process, ct);
            using var client = new HttpClient { BaseAddress = new Uri(apiUrl) };

            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz", ct)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/openapi/v1.json", ct)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz", ct)).StatusCode);

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

    private static async Task<string> ReadApiUrlAsync(Process process, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Deadline);
        var seen = new List<string>();
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            seen.Add(line);
            var match = ApiLine().Match(line);
            if (match.Success)
            {
                return match.Groups["base"].Value;
            }
        }
        var error = await process.StandardError.ReadToEndAsync(ct);
        throw new InvalidOperationException($"The server exited without printing its API address. stdout: {string.Join('\n', seen)} stderr: {error}");
    }

    [GeneratedRegex(@"^\s+API\s+(?<base>http://127\.0\.0\.1:\d+)/api/v1$")]
    private static partial Regex ApiLine();
}
