using System.Net;
using Berth.Postgres.Tests.Support;
using Berth.Testing;

namespace Berth.Postgres.Tests;

/// <summary>Several nodes started at once on one empty database: one migrates, the others wait for it; all serve.</summary>
public sealed class ConcurrentStartTests
{
    [Fact]
    public async Task Three_servers_started_at_once_on_a_fresh_database_all_come_up_and_serve_the_same_registry()
    {
        await using var database = await FreshDatabase.CreateAsync();

        // All-in-one nodes: each also makes sure the admin account exists, at the same moment as the others.
        var starts = Enumerable.Range(0, 3)
            .Select(_ => RegistryServer.StartAsync(extraArgs: [.. database.ServerArgs, "--admin-password", "Adm1nPassw0rd!", "--Berth:BcryptWorkFactor", "4"]))
            .ToList();
        var nodes = new List<RegistryServer>();
        try
        {
            foreach (var start in starts)
            {
                try
                {
                    nodes.Add(await start);
                }
                catch (InvalidOperationException e)
                {
                    Assert.Fail($"a node failed to start: {e.Message}");
                }
            }

            using var first = Images.Client(nodes[0].BaseUri);
            var digest = await Images.PushAsync(first, "cluster/app", "v1");
            foreach (var node in nodes)
            {
                using var http = Images.Client(node.BaseUri);
                using var response = await http.GetAsync(new Uri("v2/cluster/app/manifests/v1", UriKind.Relative));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(digest, response.Headers.GetValues("Docker-Content-Digest").Single());
            }

            var admins = await database.ScalarAsync<long>("SELECT count(*) FROM accounts WHERE \"Name\" = 'admin'");
            Assert.Equal(1, admins);
            var migrations = await database.ScalarAsync<long>("SELECT count(*) FROM \"__EFMigrationsHistory\"");
            Assert.True(migrations >= 1);
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }
}
