using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Berth.Cluster.Tests.Support;

namespace Berth.Cluster.Tests;

/// <summary>
/// A repository made private on node 0 stops a token issued while it was public on node 2 too. Node 2 reuses a
/// decision about the token holder's present rights for at most a second, so the old token must be refused within
/// a few seconds (the bound leaves room for a loaded machine), and never served after that.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RevokedAccessAcrossNodesTests(ClusterFixture cluster)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_repository_made_private_on_one_node_stops_an_older_token_on_another()
    {
        var repo = $"admin/revoke-{Guid.NewGuid():N}"[..20];
        var adminToken = await Tokens.GetAsync(cluster.Nodes[0].BaseUri, $"repository:{repo}:pull,push");
        using (var node0 = Tokens.Bearer(cluster.Nodes[0].BaseUri, adminToken))
        {
            await Pushes.PushImageAsync(node0, repo, "v1", repo);
        }

        using var api = ClusterFixture.BasicClient(cluster.Nodes[0].BaseUri);
        await SetVisibilityAsync(api, repo, "public");
        var anonymous = await AnonymousTokenAsync(cluster.Nodes[0].BaseUri, $"repository:{repo}:pull");
        using var node2 = Tokens.Bearer(cluster.Nodes[2].BaseUri, anonymous);
        Assert.Equal(HttpStatusCode.OK, await ManifestStatusAsync(node2, repo));

        await SetVisibilityAsync(api, repo, "private");
        var clock = Stopwatch.StartNew();
        var status = HttpStatusCode.OK;
        while (clock.Elapsed < Limit && (status = await ManifestStatusAsync(node2, repo)) == HttpStatusCode.OK)
        {
            await Task.Delay(100);
        }

        Assert.True(status == HttpStatusCode.Unauthorized, $"node 2 still served the old token after {clock.Elapsed.TotalSeconds:0.0} s ({(int)status})");
        Assert.Equal(HttpStatusCode.Unauthorized, await ManifestStatusAsync(node2, repo));
    }

    private static async Task<string> AnonymousTokenAsync(Uri node, string scope)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = node, Timeout = TimeSpan.FromSeconds(60) };
        var answer = await http.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>(new Uri($"token?service=berth-registry&scope={Uri.EscapeDataString(scope)}", UriKind.Relative));
        return (string)answer!["token"]!;
    }

    private static async Task SetVisibilityAsync(HttpClient api, string repo, string visibility)
    {
        using var response = await api.PatchAsJsonAsync(new Uri($"api/v1/repositories/{repo}", UriKind.Relative), new { visibility });
        Assert.True(response.IsSuccessStatusCode, $"PATCH {repo} visibility={visibility}: {(int)response.StatusCode}");
    }

    private static async Task<HttpStatusCode> ManifestStatusAsync(HttpClient node, string repo)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v2/{repo}/manifests/v1");
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        using var response = await node.SendAsync(request);
        return response.StatusCode;
    }
}
