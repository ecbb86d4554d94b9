namespace Berth.Data.Postgres;

/// <summary>The advisory lock keys Berth takes (<c>pg_advisory_*lock(bigint)</c>), in one place so none is reused.</summary>
internal static class AdvisoryLocks
{
    /// <summary>Session lock held while one node migrates; others wait, then find nothing to do.</summary>
    public const long Migration = 0x4265_7274_6801;

    /// <summary>Transaction lock from an outbox insert to its commit, so outbox ids become visible in id order.</summary>
    public const long Outbox = 0x4265_7274_6802;

    /// <summary>Transaction lock from <c>BEGIN</c> to commit: one writing transaction at a time, as on SQLite.</summary>
    public const long Transactions = 0x4265_7274_6803;
}
