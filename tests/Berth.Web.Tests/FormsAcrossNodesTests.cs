using System.Net;
using Berth.Testing;
using Berth.Web.Tests.Support;

namespace Berth.Web.Tests;

/// <summary>
/// Behind a round-robin balancer the page and its POST reach different nodes, and a node restarts between them: the
/// form token must hold on every node that shares the database (each with a home of its own, as on separate hosts).
/// </summary>
public sealed class FormsAcrossNodesTests
{
    [Fact]
    public async Task A_form_served_by_one_node_is_accepted_by_another_and_by_the_same_node_after_a_restart()
    {
        string[] args = ["--auth", "token", "--admin-password", WebSite.AdminPassword, "--Berth:BcryptWorkFactor", "4"];
        await using var a = await RegistryServer.StartAsync(extraArgs: args);
        await using var b = await RegistryServer.StartAsync(extraArgs: [.. args, "--data-dir", a.DataDir]);
        using var toA = Client(a);
        using var toB = Client(b);

        // Signed in on B with A's form.
        var cookies = new Dictionary<string, string>(StringComparer.Ordinal);
        var page = await Forms.GetAsync(toA, "login", cookies);
        using (var signIn = await Forms.PostAsync(toB, "login", cookies, [new(Forms.TokenField, Forms.Token(page)), new("user", "admin"), new("password", WebSite.AdminPassword)]))
        {
            Assert.Equal(HttpStatusCode.Found, signIn.StatusCode);
        }

        Assert.Equal("admin", Forms.SignedInAs(await Forms.GetAsync(toA, "", cookies)));

        // A form from before A restarts, sent after: signs out.
        var before = await Forms.GetAsync(toA, "", cookies);
        await a.KillAsync();
        await a.RestartAsync();
        using (var signOut = await Forms.PostAsync(toA, "logout", cookies, [new(Forms.TokenField, Forms.Token(before))]))
        {
            Assert.Equal(HttpStatusCode.Found, signOut.StatusCode);
        }

        Assert.Null(Forms.SignedInAs(await Forms.GetAsync(toB, "", cookies)));
    }

    private static HttpClient Client(RegistryServer server) =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false, UseCookies = false }) { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
}
