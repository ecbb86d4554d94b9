using Berth.Testing;

namespace Berth.Conformance.Tests.Support;

/// <summary>An upload's row in the servers' shared database, read as another process would.</summary>
public static class UploadRow
{
    /// <summary>One column of an upload's row (null when the row or the value is absent).</summary>
    public static async Task<object?> ColumnAsync(string dataDir, string uploadId, string column)
    {
        var value = await ServerDatabase.ScalarAsync(dataDir, $"SELECT \"{column}\" FROM uploads WHERE \"Id\" = @p0", uploadId);
        return value is DBNull ? null : value;
    }
}
