using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Berth.Cluster.Tests.Support;

namespace Berth.Cluster.Tests;

/// <summary>
/// The index on the cluster: an account made through the REST API on one node logs in on another, a token issued by
/// node 0 is accepted by node 2 (one signing key), and a private repository stays invisible to another user through
/// the balancer.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class IndexOnClusterTests(ClusterFixture cluster)
{
    [Fact]
    public async Task A_user_made_on_node_0_pushes_on_node_2_with_a_node_0_token_and_the_private_repository_stays_hidden()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (alice, bob) = ($"alice{suffix}", $"bob{suffix}");
        const string Password = "Sup3r-Secret-Cluster";
        using (var api = ClusterFixture.BasicClient(cluster.Nodes[0].BaseUri))
        {
            foreach (var name in new[] { alice, bob })
            {
                using var created = await api.PostAsJsonAsync(new Uri("api/v1/users", UriKind.Relative), new { name, password = Password });
                Assert.True(created.StatusCode == HttpStatusCode.Created, $"create {name}: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
            }
        }

        // A token from node 0, used on node 2 directly.
        var repo = $"{alice}/private";
        var token = await Tokens.GetAsync(cluster.Nodes[0].BaseUri, $"repository:{repo}:pull,push", alice, Password);
        using (var node2 = Tokens.Bearer(cluster.Nodes[2].BaseUri, token))
        {
            await Pushes.PushImageAsync(node2, repo, "v1", suffix);
        }

        // Through the balancer: alice sees it (REST and /v2), bob gets what an absent repository gets.
        using (var aliceApi = ClusterFixture.BasicClient(cluster.Balancer.BaseUri, alice, Password))
        {
            using var repository = await aliceApi.GetAsync(new Uri($"api/v1/repositories/{repo}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, repository.StatusCode);
            Assert.Equal("private", (string)JsonNode.Parse(await repository.Content.ReadAsStringAsync())!["visibility"]!);
        }

        using (var aliceV2 = ClusterFixture.Client(cluster.Balancer.BaseUri, alice, Password))
        {
            using var manifest = await aliceV2.GetAsync(new Uri($"v2/{repo}/manifests/v1", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        }

        using var bobApi = ClusterFixture.BasicClient(cluster.Balancer.BaseUri, bob, Password);
        for (var i = 0; i < 3; i++)
        {
            // Three times, so each node answers once.
            using var hidden = await bobApi.GetAsync(new Uri($"api/v1/repositories/{repo}", UriKind.Relative));
            using var absent = await bobApi.GetAsync(new Uri($"api/v1/repositories/{alice}/no-such-{suffix}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
            Assert.Equal(absent.StatusCode, hidden.StatusCode);
        }

        using var bobV2 = ClusterFixture.Client(cluster.Balancer.BaseUri, bob, Password);
        using var denied = await bobV2.GetAsync(new Uri($"v2/{repo}/manifests/v1", UriKind.Relative));
        using var nothing = await bobV2.GetAsync(new Uri($"v2/{alice}/no-such-{suffix}/manifests/v1", UriKind.Relative));
        Assert.NotEqual(HttpStatusCode.OK, denied.StatusCode);
        Assert.Equal(nothing.StatusCode, denied.StatusCode);
        using var catalog = await bobV2.GetAsync(new Uri("v2/_catalog", UriKind.Relative));
        Assert.DoesNotContain(repo, await catalog.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
