using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dflare.Core.Metering;
using Dflare.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Dflare.Tests.Portal;

/// <summary>
/// The portal in a real browser: a tenant signs in through its realm, creates a cluster with the form, watches it
/// become operational, sees its usage and invoice, and deletes it; an operator signs in with the admin credential and
/// sees the fleet. Every main page is saved as a screenshot.
/// </summary>
[Collection(FleetCollection.Name)]
public sealed class PortalBrowserTests(FleetWorld world)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task TenantWithUserAsync(string tenant, string user)
    {
        await world.Cluster.TenantAsync(tenant);
        Assert.Equal(HttpStatusCode.Created, (await world.Cluster.Admin.PostJsonAsync($"/api/v1/realms/{tenant}/users", $$"""{"name":"{{user}}","password":"a long passphrase here"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await world.Cluster.Admin.PostJsonAsync($"/api/v1/realms/{tenant}/role-bindings",
            $$"""{"name":"{{user}}-admin","subject":{"kind":"User","name":"{{user}}"},"role":"tenant-admin"}""")).StatusCode);
    }

    private static async Task SignInAsync(IPage page, string realm, string user, string password)
    {
        await page.GotoAsync("/portal/");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/portal/signin"));
        await page.GetByLabel("Realm", new() { Exact = true }).FillAsync(realm);
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Sign in to {realm}" })).ToBeVisibleAsync();
        await page.GetByLabel("User name", new() { Exact = true }).FillAsync(user);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    [Fact]
    public async Task ATenant_SignsIn_CreatesAClusterInThePortal_WatchesItBecomeOperational_AndSeesItsUsage()
    {
        await TenantWithUserAsync("webco", "ana");
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.PageAsync(world.Url);

        // A wrong password stays on the realm's page with the reason.
        await SignInAsync(page, "webco", "ana", "not the passphrase");
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("The user name or password is wrong.");
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("a long passphrase here");
        await Browser.ScreenshotAsync(page, "01-realm-sign-in");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/portal/clusters$"));
        await Expect(page.GetByText("webco/ana")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Fleet" })).ToHaveCountAsync(0); // operators only

        // The form refuses what the API refuses, next to the field.
        await page.GetByRole(AriaRole.Link, new() { Name = "Create a cluster" }).ClickAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Not_A_Name");
        await page.GetByLabel("Nodes", new() { Exact = true }).FillAsync("2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await Expect(page.Locator("#name-error")).ToContainTextAsync("metadata.name");
        await Expect(page.GetByLabel("Name", new() { Exact = true })).ToHaveAttributeAsync("aria-invalid", "true");
        await Browser.ScreenshotAsync(page, "02-create-cluster-refused");

        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("web-train");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/portal/clusters/web-train$"));
        // The live region follows the operation until the cluster is operational, without a reload.
        await Expect(page.Locator("#progress [data-phase]")).ToHaveTextAsync("Operational");
        await Expect(page.Locator("#progress .step-succeeded")).ToHaveCountAsync(8);
        await page.ReloadAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Nodes of web-train" }).Locator("tbody tr")).ToHaveCountAsync(2);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Access" })).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(page, "03-cluster-operational");

        await page.GetByRole(AriaRole.Link, new() { Name = "Clusters", Exact = true }).ClickAsync();
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "web-train" });
        await Expect(row).ToContainTextAsync("Operational");
        await Expect(row).ToContainTextAsync("16"); // GPUs
        await Browser.ScreenshotAsync(page, "04-clusters");

        await page.GetByRole(AriaRole.Link, new() { Name = "Networks" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "VPCs of webco" })).ToContainTextAsync("cluster-web-train");
        await Browser.ScreenshotAsync(page, "05-networks");
        await page.GetByRole(AriaRole.Link, new() { Name = "Volumes" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Volumes" })).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(page, "06-volumes");

        // Usage: the GPU-hours the cluster's nodes accrue, charted by project and listed.
        await page.GetByRole(AriaRole.Link, new() { Name = "Usage" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Img, new() { Name = "GPU-hours per day by project, last 14 days" })).ToBeVisibleAsync();
        var gpuRow = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "allocated-gpu-hours" });
        await Expect(gpuRow).ToContainTextAsync("research");
        await Expect(gpuRow).ToContainTextAsync("accruing");
        await Browser.ScreenshotAsync(page, "07-usage");

        // An invoice: an hour of the tenant's rated against a price book.
        await RatedHourAsync("webco");
        await page.GetByRole(AriaRole.Link, new() { Name = "Invoices" }).ClickAsync();
        var period = DateTimeOffset.UtcNow.AddHours(-3).ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
        await page.GetByRole(AriaRole.Link, new() { Name = period }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = $"Lines of the {period} invoice" })).ToContainTextAsync("allocated-gpu-hours");
        await Browser.ScreenshotAsync(page, "08-invoice");

        // Delete from the cluster's page: the live region follows the delete to the end.
        await page.GotoAsync("/portal/clusters/web-train");
        await page.GetByLabel("I understand that every node of web-train is wiped and given back.", new() { Exact = true }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete web-train" }).ClickAsync();
        await Expect(page.Locator("#progress")).ToContainTextAsync("The cluster is deleted");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/portal/signin$"));
        await page.GotoAsync("/portal/clusters");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/portal/signin"));
    }

    [Fact]
    public async Task AnOperator_SignsInWithTheAdminCredential_SeesTheFleet_AndPicksATenant()
    {
        await world.Cluster.TenantAsync("opsview");
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.PageAsync(world.Url);
        await page.GotoAsync("/portal/signin");
        await page.GetByLabel("Credential", new() { Exact = true }).FillAsync("dfl_not_it");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("That credential is not accepted by the platform realm.");

        await page.GetByLabel("Credential", new() { Exact = true }).FillAsync(TestServer.AdminCredential);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/portal/fleet$"));
        await Expect(page.Locator(".tile")).ToHaveCountAsync(16);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Rack sim-r1 (8 nodes)" })).ToBeVisibleAsync();
        await Expect(page.Locator(".stats")).ToContainTextAsync("128 GPUs");
        await Browser.ScreenshotAsync(page, "09-fleet");

        await page.GetByRole(AriaRole.Link, new() { Name = "Clusters", Exact = true }).ClickAsync();
        await Expect(page.GetByText("Choose a tenant to see its clusters")).ToBeVisibleAsync();
        await page.GetByLabel("Tenant", new() { Exact = true }).SelectOptionAsync("opsview");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("tenant=opsview"));
        await Expect(page.GetByText("Tenant opsview has no clusters yet.")).ToBeVisibleAsync();
        // The choice is remembered from page to page.
        await page.GetByRole(AriaRole.Link, new() { Name = "Volumes" }).ClickAsync();
        await Expect(page.GetByText("Tenant opsview has no volumes.")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task OnAPhone_ThePagesFitTheScreen_AndEveryControlHasAName()
    {
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.PageAsync(world.Url, 375, 812);
        await page.GotoAsync("/portal/signin");
        await page.GetByLabel("Credential", new() { Exact = true }).FillAsync(TestServer.AdminCredential);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator(".tile")).ToHaveCountAsync(16);
        foreach (var path in new[] { "/portal/fleet", "/portal/clusters", "/portal/usage", "/portal/signin" })
        {
            await page.GotoAsync(path);
            var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
            Assert.True(overflow <= 0, $"{path} is {overflow}px wider than the screen");
            var unnamed = await page.EvaluateAsync<string[]>("""
                () => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
                       .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !(e.textContent || '').trim())
                       .map(e => e.outerHTML)
                """);
            Assert.True(unnamed.Length == 0, $"{path}: controls without a name: {string.Join(", ", unnamed)}");
            Assert.Equal("Skip to content", await page.EvaluateAsync<string>("() => document.querySelector('a').textContent"));
            Assert.Equal(1, await page.Locator("main").CountAsync());
        }
        await page.GotoAsync("/portal/fleet");
        await Browser.ScreenshotAsync(page, "10-fleet-phone");
    }

    /// <summary>An hour three hours ago of eight GPUs for the tenant, priced and rated, so the month has an invoice.</summary>
    private async Task RatedHourAsync(string tenant)
    {
        var hour = UsageMeters.Hour(DateTimeOffset.UtcNow.AddHours(-3));
        Assert.Equal(HttpStatusCode.Created, (await world.Cluster.Admin.PostJsonAsync("/api/v1/price-books", $$"""
            {"metadata":{"name":"portal-list"},"spec":{"tenant":"{{tenant}}","currency":"USD","effectiveFrom":"{{hour.AddDays(-1):O}}","prices":[{"meter":"allocated-gpu-hours","dimension":"*","unitPrice":2.5} ] } }
            """)).StatusCode);
        UsageEvent Event(string id, string type, DateTimeOffset at) => new()
        {
            SpecVersion = "1.0", Id = id, Source = "test/portal", Type = type, Subject = "node/portal-n1", Time = at,
            Data = JsonSerializer.SerializeToElement(new JsonObject { ["tenant"] = tenant, ["project"] = "research", ["cluster"] = "earlier", ["gpuModel"] = "H100-SXM5-80GB", ["gpus"] = 8, ["cpus"] = 0, ["memoryGiB"] = 0 }),
        };
        var events = new[] { Event("p1", UsageEventTypes.NodeAllocated, hour), Event("p2", UsageEventTypes.NodeReleased, hour.AddHours(1)) };
        var ingested = await world.Cluster.Admin.PostJsonAsync("/api/v1/usage-events", JsonSerializer.Serialize(new { events }, JsonSerializerOptions.Web));
        Assert.True(ingested.StatusCode == HttpStatusCode.OK, await ingested.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.OK, (await world.Cluster.Admin.PostAsync("/api/v1/metering/rate", null, Ct)).StatusCode);
    }
}
