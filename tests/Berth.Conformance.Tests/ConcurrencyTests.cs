using System.Net;
using Berth.Conformance.Tests.Support;

namespace Berth.Conformance.Tests;

/// <summary>
/// Many clients at once against one server: the same new blob pushed into many repositories, images sharing layers
/// pushed into one repository and onto one tag, PATCHes and completing PUTs racing on one upload, mounts racing the
/// source's deletion.
/// Afterwards nothing pushed with a 201 may be missing or differ.
/// </summary>
public sealed class ConcurrencyTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private const int Clients = 16;
    private const int Rounds = 5;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_same_new_blob_pushed_into_16_repositories_at_once_is_linked_in_every_one()
    {
        using var apis = NewClients(Clients);
        var failures = new List<string>();
        var manifestPuts = 0;
        for (var round = 0; round < Rounds; round++)
        {
            var layer = Blob.Random(32 * 1024);
            var repos = Enumerable.Range(0, Clients).Select(i => Repo.New($"shared-{round}-{i}")).ToArray();
            var images = repos.Select(_ => Blob.Config()).Select(c => new Image(c, [layer], Build.OciManifest(c, [layer]))).ToArray();
            var outcomes = await RaceAsync(
                Clients,
                async i =>
                {
                    await apis[i].PushBlobAsync(repos[i], images[i].Config);
                    return await apis[i].StartUploadAsync(repos[i]);
                },
                async (i, session) =>
                {
                    using var blob = await apis[i].PutUploadAsync(session, layer.Digest, layer.Bytes);
                    using var manifest = await apis[i].PutManifestAsync(repos[i], "v1", images[i].Manifest);
                    return ((int)blob.StatusCode, (int)manifest.StatusCode, await Check.BodyTextAsync(manifest));
                });
            manifestPuts += Clients;
            for (var i = 0; i < Clients; i++)
            {
                var (blob, manifest, body) = outcomes[i];
                if (blob != 201 || manifest != 201)
                {
                    failures.Add($"round {round} client {i}: blob PUT {blob}, manifest PUT {manifest} {body}");
                    continue;
                }

                await AssertPullsAsync(apis[i], repos[i], "v1", images[i]);
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {manifestPuts} pushes failed:\n{string.Join('\n', failures)}");
    }

    [Fact]
    public async Task Images_sharing_layers_pushed_into_one_repository_and_onto_one_tag_at_once_all_pull_intact()
    {
        const int racers = 8;
        using var apis = NewClients(Clients + racers);
        var repo = Repo.New("one-repo");
        var shared = new[] { Blob.Random(16 * 1024), Blob.Random(24 * 1024) };
        var images = Enumerable.Range(0, Clients + racers).Select(_ =>
        {
            var config = Blob.Config();
            Blob[] layers = [.. shared, Blob.Random(8 * 1024)];
            return new Image(config, layers, Build.OciManifest(config, layers));
        }).ToArray();
        string TagOf(int i) => i < Clients ? $"t{i}" : "shared";

        var outcomes = await RaceAsync(
            Clients + racers,
            async i =>
            {
                using var ping = await apis[i].GetAsync("v2/"); // the connection is open before the start
                return 0;
            },
            async (i, _) =>
            {
                foreach (var blob in images[i].Blobs)
                {
                    var session = await apis[i].StartUploadAsync(repo);
                    using var put = await apis[i].PutUploadAsync(session, blob.Digest, blob.Bytes);
                    if (put.StatusCode != HttpStatusCode.Created)
                    {
                        return $"blob PUT {(int)put.StatusCode} {await Check.BodyTextAsync(put)}";
                    }
                }

                using var manifest = await apis[i].PutManifestAsync(repo, TagOf(i), images[i].Manifest);
                return manifest.StatusCode == HttpStatusCode.Created ? null : $"manifest PUT {(int)manifest.StatusCode} {await Check.BodyTextAsync(manifest)}";
            });

        var failures = outcomes.Select((o, i) => o is null ? null : $"client {i}: {o}").OfType<string>().ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} of {Clients + racers} pushes failed:\n{string.Join('\n', failures)}");

        var api = apis[0];
        for (var i = 0; i < Clients; i++)
        {
            await AssertPullsAsync(api, repo, TagOf(i), images[i]);
        }

        using var sharedTag = await api.GetManifestAsync(repo, "shared");
        await Check.StatusAsync(sharedTag, HttpStatusCode.OK);
        var sharedBytes = await sharedTag.Content.ReadAsByteArrayAsync();
        var winner = images.Skip(Clients).SingleOrDefault(im => im.Manifest.Bytes.AsSpan().SequenceEqual(sharedBytes));
        Assert.True(winner is not null, "the raced tag points at a manifest none of its racers pushed");
        foreach (var image in images)
        {
            await AssertPullsAsync(api, repo, image.Manifest.Digest, image);
        }

        var tags = await api.TagsAsync(repo);
        Assert.Equal(Enumerable.Range(0, Clients + 1).Select(TagOf).Order(StringComparer.Ordinal), tags.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task PATCHes_racing_at_one_offset_of_one_upload_accept_exactly_one()
    {
        const int racers = 8;
        using var apis = NewClients(racers);
        var repo = Repo.New("patch-race");
        var first = Blob.Random(40 * 1024).Bytes;
        var chunks = Enumerable.Range(0, racers).Select(_ => Blob.Random(20 * 1024).Bytes).ToArray();
        var session = await apis[0].StartUploadAsync(repo);
        using (var patch = await apis[0].PatchAsync(session, first, $"0-{first.Length - 1}"))
        {
            await Check.StatusAsync(patch, HttpStatusCode.Accepted);
            session = Check.Location(patch);
        }

        var range = $"{first.Length}-{first.Length + chunks[0].Length - 1}";
        var statuses = await RaceAsync(
            racers,
            async i =>
            {
                using var ping = await apis[i].GetAsync("v2/");
                return 0;
            },
            async (i, _) =>
            {
                using var patch = await apis[i].PatchAsync(session, chunks[i], range);
                return patch.StatusCode;
            });

        Assert.True(statuses.Count(s => s == HttpStatusCode.Accepted) == 1, $"expected exactly one 202, got [{string.Join(", ", statuses.Select(s => (int)s))}]");
        Assert.All(statuses.Where(s => s != HttpStatusCode.Accepted), s => Assert.True(s is HttpStatusCode.RequestedRangeNotSatisfiable or HttpStatusCode.NotFound, $"a losing PATCH got {(int)s}"));
        var winner = Array.IndexOf(statuses, HttpStatusCode.Accepted);
        var blob = Blob.From([.. first, .. chunks[winner]]);
        using (var put = await apis[0].PutUploadAsync(session, blob.Digest))
        {
            await Check.StatusAsync(put, HttpStatusCode.Created);
        }

        using var get = await apis[0].GetBlobAsync(repo, blob.Digest);
        await Check.StatusAsync(get, HttpStatusCode.OK);
        Assert.Equal(blob.Bytes, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Completing_PUTs_racing_on_one_upload_publish_exactly_one_blob_and_end_the_session()
    {
        // Each racer's claim also holds the digest it names against collection, in one commit: a loser must leave
        // neither a blob nor a session that a later request could still complete.
        const int racers = 8;
        using var apis = NewClients(racers);
        var repo = Repo.New("put-race");
        var session = await apis[0].StartUploadAsync(repo);
        var blobs = Enumerable.Range(0, racers).Select(_ => Blob.Random(20 * 1024)).ToArray();
        var statuses = await RaceAsync(
            racers,
            async i =>
            {
                using var ping = await apis[i].GetAsync("v2/");
                return 0;
            },
            async (i, _) =>
            {
                using var put = await apis[i].PutUploadAsync(session, blobs[i].Digest, blobs[i].Bytes, $"0-{blobs[i].Bytes.Length - 1}");
                return put.StatusCode;
            });

        Assert.True(statuses.Count(s => s == HttpStatusCode.Created) == 1, $"expected exactly one 201, got [{string.Join(", ", statuses.Select(s => (int)s))}]");
        Assert.All(statuses.Where(s => s != HttpStatusCode.Created), s => Assert.True(s is HttpStatusCode.RequestedRangeNotSatisfiable or HttpStatusCode.NotFound, $"a losing PUT got {(int)s}"));
        var winner = Array.IndexOf(statuses, HttpStatusCode.Created);
        using (var get = await apis[0].GetBlobAsync(repo, blobs[winner].Digest))
        {
            await Check.StatusAsync(get, HttpStatusCode.OK);
            Assert.Equal(blobs[winner].Bytes, await get.Content.ReadAsByteArrayAsync());
        }

        foreach (var loser in blobs.Where((_, i) => i != winner))
        {
            using var head = await apis[0].HeadBlobAsync(repo, loser.Digest);
            Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        }

        using var status = await apis[0].SendAsync(HttpMethod.Get, session);
        Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
    }

    [Fact]
    public async Task Mounts_racing_the_deletion_of_their_source_never_answer_201_for_an_unreadable_blob()
    {
        const int mounters = 8;
        using var apis = NewClients(mounters + 1);
        var outcomes = new List<HttpStatusCode>();
        for (var round = 0; round < Rounds; round++)
        {
            var source = Repo.New($"mount-src-{round}");
            var image = Build.OciImage(layers: 1, layerSize: 16 * 1024);
            await apis[0].PushImageAsync(source, image, "v1");
            var layer = image.Layers[0];
            var targets = Enumerable.Range(0, mounters).Select(i => Repo.New($"mount-dst-{round}-{i}")).ToArray();
            var results = await RaceAsync(
                mounters + 1,
                async i =>
                {
                    using var ping = await apis[i].GetAsync("v2/");
                    return 0;
                },
                async (i, _) =>
                {
                    if (i == mounters)
                    {
                        using var manifest = await apis[i].DeleteAsync($"v2/{source}/manifests/{image.Manifest.Digest}");
                        using var blob = await apis[i].DeleteAsync($"v2/{source}/blobs/{layer.Digest}");
                        await Check.StatusAsync(blob, HttpStatusCode.Accepted);
                        return HttpStatusCode.Accepted;
                    }

                    using var mount = await apis[i].PostUploadAsync(targets[i], $"?mount={layer.Digest}&from={source}");
                    return mount.StatusCode;
                });

            for (var i = 0; i < mounters; i++)
            {
                outcomes.Add(results[i]);
                Assert.True(results[i] is HttpStatusCode.Created or HttpStatusCode.Accepted, $"mount answered {(int)results[i]}");
                if (results[i] == HttpStatusCode.Created)
                {
                    using var get = await apis[0].GetBlobAsync(targets[i], layer.Digest);
                    await Check.StatusAsync(get, HttpStatusCode.OK);
                    Assert.Equal(layer.Bytes, await get.Content.ReadAsByteArrayAsync());
                }
            }

            using var gone = await apis[0].HeadBlobAsync(source, layer.Digest);
            await Check.StatusAsync(gone, HttpStatusCode.NotFound);
        }

        Assert.Equal(mounters * Rounds, outcomes.Count);
    }

    /// <summary>
    /// Prepares every client, then releases them at one instant (a gate all wait on), so the raced requests
    /// reach the server together rather than in the order the tasks were created.
    /// </summary>
    internal static async Task<TResult[]> RaceAsync<TPrepared, TResult>(int count, Func<int, Task<TPrepared>> prepare, Func<int, TPrepared, Task<TResult>> race)
    {
        var prepared = await Task.WhenAll(Enumerable.Range(0, count).Select(prepare)).WaitAsync(Timeout);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var racing = Enumerable.Range(0, count).Select(async i =>
        {
            await gate.Task;
            return await race(i, prepared[i]);
        }).ToArray();
        gate.SetResult();
        return await Task.WhenAll(racing).WaitAsync(Timeout);
    }

    /// <summary>The manifest under <paramref name="reference"/> is the image's, byte for byte, and so is every blob it names.</summary>
    private static async Task AssertPullsAsync(RegistryApi api, string repo, string reference, Image image)
    {
        using (var manifest = await api.GetManifestAsync(repo, reference))
        {
            await Check.StatusAsync(manifest, HttpStatusCode.OK);
            Assert.Equal(image.Manifest.Bytes, await manifest.Content.ReadAsByteArrayAsync());
        }

        foreach (var blob in image.Blobs)
        {
            using var get = await api.GetBlobAsync(repo, blob.Digest);
            await Check.StatusAsync(get, HttpStatusCode.OK);
            Assert.Equal(blob.Bytes, await get.Content.ReadAsByteArrayAsync());
        }
    }

    /// <summary>One client (own connections) per racer, kept for the whole test.</summary>
    private ClientSet NewClients(int count) => new(Enumerable.Range(0, count).Select(_ => registry.NewClient(Timeout)).ToList());

    private sealed class ClientSet(List<HttpClient> clients) : IDisposable
    {
        public RegistryApi this[int index] => new(clients[index]);

        public void Dispose() => clients.ForEach(c => c.Dispose());
    }
}
