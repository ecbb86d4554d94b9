using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Berth.Data;

/// <summary>Turning off EF Core's savepoint around each save in a transaction.</summary>
public static class Savepoints
{
    /// <summary>
    /// Until disposed, a save in the current transaction takes no savepoint (two statements more per save). Only for
    /// a transaction rolled back whole when a save fails: the savepoint is what lets a caller catch a failed save and
    /// go on in the same transaction.
    /// </summary>
    public static Suspended WithoutSavepoints(this BerthDbContext db)
    {
        var suspended = new Suspended(db.Database, db.Database.AutoSavepointsEnabled);
        db.Database.AutoSavepointsEnabled = false;
        return suspended;
    }

    public readonly struct Suspended(DatabaseFacade database, bool enabled) : IDisposable
    {
        public void Dispose() => database.AutoSavepointsEnabled = enabled;
    }
}
