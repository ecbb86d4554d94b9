namespace Berth.Testing;

/// <summary>Garbage-collection states written behind a running server's back, for tests of what follows them.</summary>
public static class GcStates
{
    /// <summary>
    /// What a collector killed after its first transaction committed leaves for an unreferenced blob: its rows (blob and
    /// repository links) gone, its candidate marked as being deleted, its bytes still in storage.
    /// </summary>
    public static async Task LeaveHalfDeletedAsync(RegistryServer server, string digest, long size)
    {
        await ServerDatabase.ScalarAsync(server, """DELETE FROM "repository_blobs" WHERE "Digest" = @p0""", digest);
        await ServerDatabase.ScalarAsync(server, """DELETE FROM "blobs" WHERE "Digest" = @p0""", digest);
        await ServerDatabase.ScalarAsync(
            server,
            """
            INSERT INTO "gc_blob_candidates" ("Digest", "QueuedAt", "DeletingSince", "Size") VALUES (@p0, @p1, @p1, @p2)
            ON CONFLICT ("Digest") DO UPDATE SET "DeletingSince" = excluded."DeletingSince", "Size" = excluded."Size"
            """,
            digest,
            DateTime.UtcNow,
            size);
    }
}
