using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace Berth.Web.Tests.Support;

/// <summary>
/// One Berth process (index, token service and registry, token auth) with the accounts and images every UI test
/// reads, and one headless Debian Chromium driven by Playwright. Tests that change state make their own accounts.
/// </summary>
public sealed class WebSite : IAsyncLifetime
{
    public const string AdminPassword = "Adm1nPassw0rd!";
    public const string Password = "Us3rPassw0rd!";
    public const string Chromium = "/usr/bin/chromium";

    /// <summary>The Markdown description of the public repository: a heading, bold text and raw HTML that must stay text.</summary>
    public const string Description = "# Web app\n\nA **demo** image for the UI tests.\n\n<script>document.title='pwned'</script>\n\n| a | b |\n|---|---|\n| 1 | 2 |";

    private readonly List<HttpClient> _clients = [];
    private IPlaywright? _playwright;

    public RegistryServer Server { get; private set; } = default!;

    public IBrowser Browser { get; private set; } = default!;

    public string Suffix { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    /// <summary>Owns <see cref="PublicRepository"/> and <see cref="PrivateRepository"/>.</summary>
    public string Alice => $"alice{Suffix}";

    /// <summary>Another user: may not see Alice's private repository.</summary>
    public string Bob => $"bob{Suffix}";

    public string PublicRepository => $"{Alice}/webapp";

    public string PrivateRepository => $"{Alice}/secret-plans";

    /// <summary>linux/amd64 + linux/arm64/v8 index, tagged <c>latest</c> in the public repository; an SBOM refers to it.</summary>
    public IndexFixture Index { get; private set; } = default!;

    /// <summary>A linux/s390x image tagged <c>1.0</c> in the public repository.</summary>
    public ImageFixture Image { get; private set; } = default!;

    /// <summary>The private repository's <c>v1</c>.</summary>
    public ImageFixture Secret { get; private set; } = default!;

    public ArtifactFixture Sbom { get; private set; } = default!;

    public string HostPort => Server.HostPort;

    public Uri BaseUri => Server.BaseUri;

    /// <summary>Where screenshots and figures go: <c>BERTH_TEST_RESULTS</c>, else beside the test assembly.</summary>
    public static string ResultsDirectory
    {
        get
        {
            var root = Environment.GetEnvironmentVariable("BERTH_TEST_RESULTS") is { Length: > 0 } configured ? configured : AppContext.BaseDirectory;
            var directory = Path.Combine(root, "web-ui");
            Directory.CreateDirectory(directory);
            return directory;
        }
    }

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium (test.sh installs it)");
        Server = await RegistryServer.StartAsync(extraArgs: ["--auth", "token", "--admin-password", AdminPassword, "--Berth:BcryptWorkFactor", "4"]);
        var admin = Registry("admin", AdminPassword);
        await CreateUserAsync(Alice);
        await CreateUserAsync(Bob);

        var alice = Registry(Alice, Password);
        var images = new ImageFactory(20261130);
        Index = images.CreateIndex([Platform.LinuxAmd64, Platform.LinuxArm64]);
        Image = images.CreateImage(layers: 2, platform: Platform.LinuxS390x);
        Sbom = images.CreateArtifact(Index);
        Secret = images.CreateImage(layers: 1);
        await alice.PushAsync(PublicRepository, Index, "latest");
        await alice.PushAsync(PublicRepository, Image, "1.0");
        await alice.PushAsync(PublicRepository, Sbom, null);
        await alice.ApiAsync(HttpMethod.Patch, $"api/v1/repositories/{PublicRepository}", new JsonObject { ["visibility"] = "public", ["description"] = Description }, HttpStatusCode.OK);
        await alice.PushAsync(PrivateRepository, Secret, "v1");
        await alice.ApiAsync(HttpMethod.Patch, $"api/v1/repositories/{PrivateRepository}", new JsonObject { ["visibility"] = "private", ["description"] = "classified" }, HttpStatusCode.OK);

        // The index learns of pushes from the registry's events: wait until both repositories show their tags.
        await WaitForTagsAsync(alice, PublicRepository, 2);
        await WaitForTagsAsync(alice, PrivateRepository, 1);

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await Server.DisposeAsync();
    }

    /// <summary>A fresh browser context (its own cookies): desktop width, JavaScript on, unless asked otherwise.</summary>
    public Task<IBrowserContext> NewContextAsync(bool javaScript = true, int width = 1280, int height = 900, ColorScheme colorScheme = ColorScheme.Light) =>
        Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseUri.ToString(),
            JavaScriptEnabled = javaScript,
            ViewportSize = new ViewportSize { Width = width, Height = height },
            ColorScheme = colorScheme,
        });

    /// <summary>Signs in through the form and checks the header names the user.</summary>
    public static async Task SignInAsync(IPage page, string user, string password = Password)
    {
        await page.GotoAsync("/login");
        await page.FillAsync("#login-user", user);
        await page.FillAsync("#login-password", password);
        await page.ClickAsync("main form button[type=submit]");
        await Assertions.Expect(page.Locator("header nav[aria-label=Account]")).ToContainTextAsync(user);
    }

    /// <summary>A plain HTTP client for this site: no redirects followed, no cookies kept.</summary>
    public HttpClient NewHttpClient()
    {
        var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false, UseCookies = false })
        {
            BaseAddress = BaseUri,
            Timeout = TimeSpan.FromSeconds(60),
        };
        _clients.Add(client);
        return client;
    }

    public Registry Registry(string user, string password) =>
        new(NewClientWith(new TokenAuthHandler(user, password)), NewHttpClient(), user, password);

    /// <summary>Creates an account (as admin, so sign-up settings do not matter).</summary>
    public async Task CreateUserAsync(string name)
    {
        var admin = Registry("admin", AdminPassword);
        await admin.ApiAsync(HttpMethod.Post, "api/v1/users", new JsonObject { ["name"] = name, ["password"] = Password }, HttpStatusCode.Created);
    }

    /// <summary>A new account named <c>prefix</c> + random hex.</summary>
    public async Task<string> NewUserAsync(string prefix)
    {
        var name = $"{prefix}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
        await CreateUserAsync(name);
        return name;
    }

    public static async Task WaitForTagsAsync(Registry owner, string repository, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await owner.SendAsync(HttpMethod.Get, $"api/v1/repositories/{repository}/-/tags?n=100");
            if (response.StatusCode == HttpStatusCode.OK && JsonNode.Parse(await response.Content.ReadAsStringAsync()) is JsonArray tags && tags.Count >= count)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{repository} did not show {count} tags within 30 s");
            await Task.Delay(100);
        }
    }

    private HttpClient NewClientWith(HttpMessageHandler handler)
    {
        var client = new HttpClient(handler) { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        _clients.Add(client);
        return client;
    }
}

[CollectionDefinition(Name)]
public sealed class WebCollection : ICollectionFixture<WebSite>
{
    public const string Name = "web";
}

/// <summary>
/// The settings and administration tests, on a second site of their own: two collections run in parallel (each
/// collection's tests run one after another), which halves the suite's time, and the settings' changes stay off the
/// browsing tests' site. The star and comment tests run here too, to even out the two collections' times.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SettingsWebCollection : ICollectionFixture<WebSite>
{
    public const string Name = "web-settings";
}
