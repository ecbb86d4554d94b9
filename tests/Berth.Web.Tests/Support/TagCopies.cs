namespace Berth.Web.Tests.Support;

/// <summary>Tags written straight into a running test server's database.</summary>
public static class TagCopies
{
    /// <summary>
    /// Copies tag <paramref name="source"/> of <paramref name="repository"/> (the registry's row and the index's
    /// summary, as a push left them) under each of <paramref name="names"/>, in one transaction: what pushing the
    /// same manifest under those tags records, without thousands of events for the index to apply one by one.
    /// </summary>
    public static async Task CopyAsync(string dataDir, string repository, string source, IReadOnlyList<string> names)
    {
        await using var connection = await ServerDatabase.OpenAsync(dataDir);
        await using var transaction = await connection.BeginTransactionAsync();
        long repositoryId;
        await using (var find = connection.CreateCommand())
        {
            find.Transaction = transaction;
            find.CommandText = "SELECT \"Id\" FROM repositories WHERE \"Name\" = @repository";
            ServerDatabase.AddParameter(find, "@repository", repository);
            repositoryId = Convert.ToInt64(await find.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        }

        string[] statements =
        [
            """
            INSERT INTO tags ("RepositoryId", "Name", "ManifestDigest", "UpdatedAt")
            SELECT "RepositoryId", @name, "ManifestDigest", "UpdatedAt" FROM tags WHERE "RepositoryId" = @id AND "Name" = @source
            """,
            """
            INSERT INTO tag_summaries ("RepositoryId", "Tag", "Digest", "MediaType", "Size", "PushedAt", "Pusher", "Platforms")
            SELECT "RepositoryId", @name, "Digest", "MediaType", "Size", "PushedAt", "Pusher", "Platforms" FROM tag_summaries WHERE "RepositoryId" = @id AND "Tag" = @source
            """,
        ];
        foreach (var statement in statements)
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = statement;
            ServerDatabase.AddParameter(insert, "@id", repositoryId);
            ServerDatabase.AddParameter(insert, "@source", source);
            var name = ServerDatabase.AddParameter(insert, "@name", "");
            await insert.PrepareAsync();
            foreach (var tag in names)
            {
                name.Value = tag;
                Assert.Equal(1, await insert.ExecuteNonQueryAsync());
            }
        }

        await transaction.CommitAsync();
    }
}
