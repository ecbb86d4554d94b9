using System.Net;
using Berth.Security.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Berth.Security.Tests;

/// <summary>
/// Issue 14, docs/OPERATIONS.md "Backup and restore", done as written on a server that keeps serving: the SQLite
/// database first (the online backup API, what <c>sqlite3 berth.db ".backup …"</c> does), then the blob folder and the
/// keys. A push that lands between the two steps leaves blobs the restored database does not know (harmless), never
/// the reverse. A new server on the restored folder serves the image with the same digests.
/// </summary>
public sealed class BackupRestoreTests : IDisposable
{
    private readonly DirectoryInfo _backup = Directory.CreateTempSubdirectory("berth-backup-");
    private readonly ImageFactory _factory = new();

    [Fact]
    public async Task A_backup_taken_while_serving_restores_to_a_server_with_the_same_images()
    {
        // SQLite and files are what this procedure is for, whatever database and storage the test run prefers.
        List<string> pinned = ["--database", "sqlite", "--storage", "filesystem"];
        await using var live = await RegistryServer.StartAsync(extraArgs: pinned);
        using var liveHttp = new HttpClient { BaseAddress = live.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        var before = _factory.CreateImage(layers: 2);
        await V2.PushImageAsync(liveHttp, "backup/app", before, "v1");

        // 1. The database, consistent as of one moment, while the server holds it open in WAL mode.
        var restored = Path.Combine(_backup.FullName, "data");
        Directory.CreateDirectory(restored);
        using (var source = new SqliteConnection($"Data Source={Path.Combine(live.DataDir, "berth.db")};Pooling=False"))
        using (var target = new SqliteConnection($"Data Source={Path.Combine(restored, "berth.db")};Pooling=False"))
        {
            source.Open();
            target.Open();
            source.BackupDatabase(target);
        }

        // A push between the two steps: its blobs reach the backup, its rows do not.
        var after = _factory.CreateImage(layers: 1);
        await V2.PushImageAsync(liveHttp, "backup/app", after, "v2");

        // 2. Then the blobs and the keys (blob files are written before their rows and never rewritten).
        CopyDirectory(Path.Combine(live.DataDir, "storage"), Path.Combine(restored, "storage"));
        CopyDirectory(Path.Combine(live.DataDir, "keys"), Path.Combine(restored, "keys"));

        await using var restoredServer = await RegistryServer.StartAsync(extraArgs: [.. pinned, "--data-dir", restored]);
        using var http = new HttpClient { BaseAddress = restoredServer.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        var (status, manifest) = await V2.GetAsync(http, "v2/backup/app/manifests/v1");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(before.Manifest.Digest, Blob.Sha256Digest(manifest));
        foreach (var blob in new[] { before.Config }.Concat(before.Layers))
        {
            var (blobStatus, bytes) = await V2.GetAsync(http, $"v2/backup/app/blobs/{blob.Digest}");
            Assert.Equal(HttpStatusCode.OK, blobStatus);
            Assert.Equal(blob.Digest, Blob.Sha256Digest(bytes));
        }

        Assert.Equal(HttpStatusCode.NotFound, (await V2.GetAsync(http, "v2/backup/app/manifests/v2")).Status);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    public void Dispose() => _backup.Delete(recursive: true);
}
