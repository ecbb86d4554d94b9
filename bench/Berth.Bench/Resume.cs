using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace Berth.Bench;

/// <summary>
/// resume-1g: what it costs to continue a large chunked upload on another process. Two processes share one data
/// directory (Berth: one SQLite database and storage root; Distribution: one root directory and one <c>http.secret</c>).
/// Per repetition, uploads of <see cref="Options.ResumeBytes"/> in <see cref="Options.ResumeChunkBytes"/> PATCHes go to
/// node A; then one more PATCH of that size and the completing PUT are timed, on A for one upload and on B for another.
/// For Berth a third upload has its hash state erased before B continues it: a node that cannot resume the hash (no
/// libcrypto), which re-reads the whole upload at the PUT, as every node did before the hash state was kept.
/// </summary>
internal sealed partial class Bench
{
    private const string ResumeId = "resume-1g";

    private async Task RunResumeAsync(CancellationToken ct)
    {
        var chunk = o.ResumeChunkBytes;
        var chunks = (int)Math.Max(1, o.ResumeBytes / chunk);
        var title = $"continue a {Options.Size((long)chunks * chunk)} chunked upload ({Options.Size(chunk)} PATCHes) on another process: last PATCH + PUT";
        Define(ResumeId, title, "same_s", "last PATCH + PUT on node A, which took the rest", "s", Better.Lower);
        Define(ResumeId, title, "other_s", "last PATCH + PUT on node B (another process)", "s", Better.Lower);
        Define(ResumeId, title, "ratio", "B / A, per repetition", "×", Better.Lower);
        Define(ResumeId, title, "nohash_s", "on node B, hash state unknown (re-read at PUT)", "s", Better.Lower);
        Define(ResumeId, title, "nohash_ratio", "B without hash state / A, per repetition", "×", Better.Lower);

        // The body of every PATCH before the last (the same bytes each time), and the last chunk, new for every upload.
        var bodyFile = Dir("resume", "body.bin");
        var body = new byte[chunk];
        _random.NextBytes(body);
        await File.WriteAllBytesAsync(bodyFile, body, ct);
        var lastChunk = new byte[chunk];
        _random.NextBytes(lastChunk);
        var lastFile = Dir("resume", "last.bin");
        using var prefix = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (var i = 0; i < chunks; i++)
        {
            prefix.AppendData(body);
        }

        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        await using var berthA = await Server.StartBerthAsync(o.BerthDll, Dir("resume-berth-a"), null);
        await using var berthB = await Server.StartBerthAsync(o.BerthDll, Dir("resume-berth-b"), null, sharedDataDir: berthA.DataDir);
        await using var distA = await Server.StartDistributionAsync(Dir("resume-dist-a"), null, secret: secret);
        await using var distB = await Server.StartDistributionAsync(Dir("resume-dist-b"), null, sharedDataDir: distA.DataDir, secret: secret);
        using var ba = new Target(berthA);
        using var bb = new Target(berthB);
        using var da = new Target(distA);
        using var db = new Target(distB);
        (Target A, Target B)[] pairs = [(ba, bb), (da, db)];

        var content = new ResumeContent(chunk, bodyFile, lastChunk, lastFile);
        for (var rep = o.Warmup ? 0 : 1; rep <= o.Reps; rep++)
        {
            if (rep > 1 && _clock.Elapsed > Budget)
            {
                _results.Note($"Time budget ({o.MaxMinutes} min) reached: {ResumeId} ran {rep - 1} of {o.Reps} repetitions.");
                break;
            }

            Log(rep == 0 ? $"{ResumeId}: warm-up pass (not recorded)" : $"{ResumeId}: repetition {rep}/{o.Reps}");
            foreach (var (a, b) in rep % 2 == 1 ? pairs : pairs.Reverse().ToArray())
            {
                // The warm-up runs the same requests over a one-chunk upload: the code paths, not the bytes, need warming.
                using var warmPrefix = rep == 0 ? Prefix(body, 1) : null;
                var before = rep == 0 ? 1 : chunks;
                var hashed = warmPrefix ?? prefix;
                try
                {
                    // Which of the two uploads goes first alternates with the repetitions, as the registries' order does.
                    var sameFirst = rep % 2 == 1;
                    var same = sameFirst ? await ContinueAsync(a, a, before, hashed, content, eraseHashState: false, ct) : 0;
                    var other = await ContinueAsync(a, b, before, hashed, content, eraseHashState: false, ct);
                    if (!sameFirst)
                    {
                        same = await ContinueAsync(a, a, before, hashed, content, eraseHashState: false, ct);
                    }

                    var line = $"  {ResumeId,-18} {a.Server.Name,-12} node A {same:0.000} s, node B {other:0.000} s (×{other / same:0.00})";
                    if (rep > 0)
                    {
                        _results.Add($"{ResumeId}.same_s", a.Registry, same);
                        _results.Add($"{ResumeId}.other_s", a.Registry, other);
                        _results.Add($"{ResumeId}.ratio", a.Registry, other / same);
                    }

                    if (a.Registry == Registry.Berth)
                    {
                        var erased = await ContinueAsync(a, b, before, hashed, content, eraseHashState: true, ct);
                        line += $", node B without hash state {erased:0.000} s (×{erased / same:0.00})";
                        if (rep > 0)
                        {
                            _results.Add($"{ResumeId}.nohash_s", a.Registry, erased);
                            _results.Add($"{ResumeId}.nohash_ratio", a.Registry, erased / same);
                        }
                    }

                    Log(line);
                }
                catch (Exception e) when (e is InvalidOperationException or HttpRequestException or IOException or SqliteException)
                {
                    // One registry failing is a finding (noted under the table), not a reason to lose the other's figures.
                    Failures++;
                    Log($"  {ResumeId,-18} {a.Server.Name,-12} FAILED: {e.Message.Split('\n')[0]}");
                    _results.Note($"{title}: {a.Server.Name} failed in repetition {rep}: {e.Message.Split('\n')[0]}");
                }
            }
        }

        _results.Note($"{ResumeId}: two processes of each registry on one data directory (Berth: one SQLite database, WAL, and one storage root; Distribution: one root directory and one `http.secret`). The upload's earlier bytes are in the page cache when a node re-reads them. Ratios are medians of the per-repetition ratios.");
    }

    /// <summary>
    /// One upload: <paramref name="before"/> PATCHes to <paramref name="start"/>, then the timed last PATCH and PUT on
    /// <paramref name="finish"/>. Returns their time (curl's transfer time plus the PUT's).
    /// </summary>
    private async Task<double> ContinueAsync(Target start, Target finish, int before, IncrementalHash prefix, ResumeContent content, bool eraseHashState, CancellationToken ct)
    {
        // New last bytes (a counter in the first 8), so every upload is a blob no registry has yet.
        BitConverter.TryWriteBytes(content.Last.AsSpan(0, 8), Interlocked.Increment(ref _uploadCounter) + ((long)Environment.ProcessId << 32));
        await File.WriteAllBytesAsync(content.LastFile, content.Last, ct);
        using var whole = prefix.Clone();
        whole.AppendData(content.Last);
        var digest = "sha256:" + Convert.ToHexStringLower(whole.GetHashAndReset());

        var location = await start.Client.StartUploadAsync($"bench/{ResumeId}", ct);
        long offset = 0;
        for (var i = 0; i < before; i++)
        {
            (_, location) = await start.Client.PatchAsync(location, content.BodyFile, offset, ct);
            offset += content.Chunk;
        }

        if (eraseHashState)
        {
            await EraseHashStateAsync(start.Server, location.Segments[^1], ct);
        }

        var (patch, next) = await finish.Client.PatchAsync(location, content.LastFile, offset, ct);
        var put = await finish.Client.CompleteAsync(next, digest, ct);
        DeleteBlob(start.Server, digest);
        return (patch + put).TotalSeconds;
    }

    /// <summary>The bytes of every PATCH before the last (one file, sent again and again) and the last chunk's.</summary>
    private sealed record ResumeContent(int Chunk, string BodyFile, byte[] Last, string LastFile);

    private static IncrementalHash Prefix(byte[] body, int count)
    {
        var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (var i = 0; i < count; i++)
        {
            hash.AppendData(body);
        }

        return hash;
    }

    /// <summary>What a node without libcrypto leaves: no SHA-256 state in the session row.</summary>
    private static async Task EraseHashStateAsync(Server server, string uploadId, CancellationToken ct)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(server.DataDir, "berth.db")};Pooling=False;Default Timeout=30");
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE uploads SET \"HashState\" = NULL WHERE \"Id\" = $id";
        command.Parameters.AddWithValue("$id", uploadId);
        if (await command.ExecuteNonQueryAsync(ct) != 1)
        {
            throw new InvalidOperationException($"upload {uploadId} has no row in {server.DataDir}/berth.db");
        }
    }

    /// <summary>Removes a measured blob's bytes at once: a GiB per upload would otherwise pile up over the repetitions.</summary>
    private static void DeleteBlob(Server server, string digest)
    {
        var hex = digest["sha256:".Length..];
        var root = server.Registry == Registry.Berth
            ? Path.Combine(server.DataDir, "storage", "blobs")
            : Path.Combine(server.DataDir, "docker", "registry", "v2", "blobs");
        var data = Path.Combine(root, "sha256", hex[..2], hex, "data");
        if (!File.Exists(data))
        {
            throw new InvalidOperationException($"{server.Name}: the completed blob is not at {data}");
        }

        File.Delete(data);
    }
}
