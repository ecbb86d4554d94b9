using System.Net;
using System.Text.Json.Nodes;
using Berth.Web.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Berth.Web.Tests;

/// <summary>A personal access token made and revoked in the browser, used by a real podman against a private repository.</summary>
[Collection(SettingsWebCollection.Name)]
public sealed class AccessTokenPodmanTests(WebSite site, ITestOutputHelper output) : IDisposable
{
    /// <summary>What podman (containers/image) prints when the registry or its token service refuses it.</summary>
    private static readonly string[] RefusalPhrases = ["unauthorized", "authentication required", "denied", "invalid username/password"];

    private readonly ToolSandbox _tools = new();

    [Fact]
    public async Task A_token_created_in_the_UI_lets_podman_pull_a_private_image_until_it_is_revoked_in_the_UI()
    {
        var user = await site.NewUserAsync("pia");
        var owner = site.Registry(user, WebSite.Password);
        var repository = $"{user}/private-app";
        var image = new ImageFactory(Random.Shared.Next()).CreateImage(layers: 1);
        await owner.PushAsync(repository, image, "v1");
        await owner.ApiAsync(HttpMethod.Patch, $"api/v1/repositories/{repository}", new JsonObject { ["visibility"] = "private" }, HttpStatusCode.OK);
        await WebSite.WaitForTagsAsync(owner, repository, 1);
        var remote = $"{site.HostPort}/{repository}:v1";

        await using var context = await site.NewContextAsync();
        var page = await context.NewPageAsync();
        await WebSite.SignInAsync(page, user);
        var secret = await AccountForms.CreateTokenAsync(page, "podman-pull", "read");
        await page.GotoAsync("/settings");
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);

        // Without credentials the private image is refused, so the pull below is the token's doing.
        AssertRefused(await _tools.PodmanAsync("pull", "-q", "--tls-verify=false", remote));
        (await _tools.PodmanAsync("login", "--tls-verify=false", "-u", user, "-p", secret, site.HostPort)).EnsureSuccess();
        var pulled = (await _tools.PodmanAsync("pull", "-q", "--tls-verify=false", remote)).EnsureSuccess();
        Assert.Equal(image.Config.Hex, pulled.Stdout.Trim());

        await AccountForms.RevokeAsync(page, "podman-pull");
        await Assertions.Expect(page.Locator("main [role=status]")).ToContainTextAsync("The token is revoked");

        // podman still holds the token in its auth file: the pull is refused, and so is a new login with it.
        (await _tools.PodmanAsync("rmi", "--all", "--force")).EnsureSuccess();
        output.WriteLine($"pull with the revoked token: {AssertRefused(await _tools.PodmanAsync("pull", "-q", "--tls-verify=false", remote))}");
        (await _tools.PodmanAsync("logout", site.HostPort)).EnsureSuccess();
        output.WriteLine($"login with the revoked token: {AssertRefused(await _tools.PodmanAsync("login", "--tls-verify=false", "-u", user, "-p", secret, site.HostPort))}");
    }

    public void Dispose() => _tools.Dispose();

    private static string AssertRefused(CliResult result)
    {
        Assert.False(result.Succeeded, $"expected a refusal:\n{result}");
        var text = result.Stderr + result.Stdout;
        var phrase = RefusalPhrases.FirstOrDefault(p => text.Contains(p, StringComparison.OrdinalIgnoreCase));
        Assert.True(phrase is not null, $"podman failed without saying it was refused:\n{result}");
        return phrase!;
    }
}
