using System.Diagnostics;
using System.Text.RegularExpressions;
using Dflare.Tests.Infrastructure;

namespace Dflare.Tests.Sdk;

/// <summary>
/// The Python SDK's own tests (<c>sdk/python/tests</c>, <c>unittest</c>), run by Debian's <c>/usr/bin/python3</c> with no
/// third-party package against the shared simulated fleet, so the test command runs them with everything else.
/// </summary>
[Collection(FleetCollection.Name)]
public sealed partial class PythonSdkTests(FleetWorld world)
{
    [Fact]
    public async Task TheSdksUnittests_PassUnderDebiansPython_AgainstARunningServer()
    {
        var sdk = Path.Combine(Dflare.Tests.Server.Api.ProblemCodesTests.RepositoryRoot(), "sdk", "python");
        var start = new ProcessStartInfo("/usr/bin/python3") { WorkingDirectory = sdk, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-I", "-m", "unittest", "discover", "-s", "tests", "-t", ".", "-v" })
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["DFLARE_URL"] = world.Url;
        start.Environment["DFLARE_TOKEN"] = TestServer.AdminCredential;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        var report = await stderr + await stdout;
        Assert.True(process.ExitCode == 0, report);
        var ran = int.Parse(Ran().Match(report).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(ran >= 10, $"only {ran} tests ran:\n{report}");
        Assert.DoesNotContain("skipped", report, StringComparison.OrdinalIgnoreCase);
    }

    [GeneratedRegex(@"Ran (\d+) tests?")]
    private static partial Regex Ran();
}
