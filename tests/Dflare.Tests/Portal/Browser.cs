using Microsoft.Playwright;

namespace Dflare.Tests.Portal;

/// <summary>
/// Debian's Chromium driven by Playwright (its own browser download is never used), and where screenshots go: the
/// directory <c>DFLARE_TEST_ARTIFACTS</c> names (the test command sets it), else <c>artifacts/</c> at the repository root.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    /// <summary>Debian's Chromium, or the one <c>DFLARE_TEST_CHROMIUM</c> names.</summary>
    public static readonly string Chromium = Environment.GetEnvironmentVariable("DFLARE_TEST_CHROMIUM") is { Length: > 0 } other ? other : "/usr/bin/chromium";

    private Browser(IPlaywright playwright, IBrowser browser)
    {
        Playwright = playwright;
        Instance = browser;
    }

    public IPlaywright Playwright { get; }

    public IBrowser Instance { get; }

    public static string ScreenshotDirectory
    {
        get
        {
            var root = Environment.GetEnvironmentVariable("DFLARE_TEST_ARTIFACTS") is { Length: > 0 } set
                ? set
                : Path.Combine(Dflare.Tests.Server.Api.ProblemCodesTests.RepositoryRoot(), "artifacts");
            var directory = Path.Combine(root, "screenshots");
            Directory.CreateDirectory(directory);
            return directory;
        }
    }

    public static async Task<Browser> LaunchAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: the test command installs Debian's chromium.");
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium, Headless = true,
            // As root in a sandbox with no network beyond loopback: no sandbox, and nothing that calls home.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        return new Browser(playwright, browser);
    }

    public async Task<IPage> PageAsync(string baseUrl, int width = 1280, int height = 900)
    {
        var context = await Instance.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl, ViewportSize = new ViewportSize { Width = width, Height = height } });
        context.SetDefaultTimeout(60_000);
        return await context.NewPageAsync();
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });

    public async ValueTask DisposeAsync()
    {
        await Instance.DisposeAsync();
        Playwright.Dispose();
    }
}
