using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Berth.Data.Sqlite;

/// <summary>
/// How a connection waits for SQLite's one write lock. SQLite's own busy handler (<c>sqlite3_busy_timeout</c>) sleeps
/// 1, 2, 5, 10, 15 … ms between tries, however soon the lock is let go: measured with perf, a stream of small pushes from
/// four clients slept there 3.5 times per push and left both cores 40 % idle. Here a connection that finds the lock taken
/// waits for a commit in this process instead (SQLite's WAL hook runs once the committing connection has released the
/// lock; each commit wakes one waiter, as only one can take the lock) and tries again at once. For what signals nothing
/// here (a rollback, another process such as <c>berth-server gc</c>) it also tries after 1, 2, 5, then every 10 ms;
/// after 30 s in all the statement gets <c>SQLITE_BUSY</c> as before.
/// Installing a WAL hook replaces SQLite's automatic checkpoint, so the hook checkpoints too, at most every 100 ms (one
/// interval for the process: a second database in it, as in tests, may wait that long more, bounded at 10,000 frames).
/// Without the native library's exports (another SQLite build) nothing changes: <c>sqlite3_busy_timeout</c> stays.
/// </summary>
internal static unsafe class SqliteWriteWait
{
    /// <summary>SQLite's <c>SQLITE_DEFAULT_WAL_AUTOCHECKPOINT</c>: the log's length in frames that starts a checkpoint.</summary>
    private const int AutoCheckpointFrames = 1000;

    private const long CheckpointIntervalMilliseconds = 100;

    private static readonly int[] Backstop = [1, 2, 5, 10];

    private static readonly object Released = new();
    private static readonly delegate* unmanaged[Cdecl]<nint, delegate* unmanaged[Cdecl]<nint, int, int>, nint, int> BusyHandler;
    private static readonly delegate* unmanaged[Cdecl]<nint, delegate* unmanaged[Cdecl]<nint, nint, nint, int, int>, nint, nint> WalHook;
    private static readonly delegate* unmanaged[Cdecl]<nint, nint, int> WalCheckpoint;
    private static long _commits;
    private static long _lastCheckpoint;

    [ThreadStatic]
    private static long t_busySince;

    [ThreadStatic]
    private static long t_commitsSeen;

    /// <summary>Installs the busy handler and WAL hook on an open connection; false when the exports are missing.</summary>
    public static bool TryInstall(SQLitePCL.sqlite3 handle)
    {
        if (BusyHandler == null || WalHook == null || WalCheckpoint == null)
        {
            return false;
        }

        var db = handle.DangerousGetHandle();
        BusyHandler(db, &OnBusy, 0);
        WalHook(db, &OnCommitted, 0);
        return true;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnBusy(nint argument, int count)
    {
        try
        {
            if (count == 0)
            {
                // Often the holder is finishing: one yield, then wait for its commit.
                t_busySince = Environment.TickCount64;
                t_commitsSeen = Volatile.Read(ref _commits);
                Thread.Yield();
                return 1;
            }

            if (Environment.TickCount64 - t_busySince > SqliteConnectionSetup.WaitMilliseconds)
            {
                return 0;
            }

            lock (Released)
            {
                // A commit since the last try: go again now; otherwise wait for the next one, or for a while that grows
                // as SQLite's own does, to 10 ms (for a release that signals nothing).
                if (_commits == t_commitsSeen)
                {
                    Monitor.Wait(Released, Backstop[Math.Min(count, Backstop.Length) - 1]);
                }

                t_commitsSeen = _commits;
            }

            return 1;
        }
        catch (Exception)
        {
            return 0; // no exception may cross into SQLite: the statement fails busy, as a timeout would
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnCommitted(nint argument, nint db, nint databaseName, int frames)
    {
        try
        {
            lock (Released)
            {
                _commits++;
                Monitor.Pulse(Released); // one waiter: only one can take the lock
            }

            // SQLite's default hook checkpoints at every commit while the log holds 1,000 frames or more. Commits that
            // follow one another without a gap (which waking at the commit makes common) keep readers in the log, so a
            // checkpoint rarely finishes and the log stays that long: every commit then paid a checkpoint and its two
            // fsyncs. So at most one attempt per interval, unless the log has grown far past the mark. Its result is
            // ignored, as SQLite's hook does: a checkpoint that could not finish is tried again later.
            if (frames >= AutoCheckpointFrames)
            {
                var now = Environment.TickCount64;
                var last = Volatile.Read(ref _lastCheckpoint);
                if ((now - last >= CheckpointIntervalMilliseconds || frames >= AutoCheckpointFrames * 10)
                    && Interlocked.CompareExchange(ref _lastCheckpoint, now, last) == last)
                {
                    WalCheckpoint(db, databaseName);
                }
            }
        }
        catch (Exception)
        {
            // Nothing to undo: the commit is done; waiters try again after their backstop.
        }

        return 0;
    }

    static SqliteWriteWait()
    {
        // The library SQLitePCLRaw's bundle loads, resolved the same way (the application's native assets).
        if (NativeLibrary.TryLoad("e_sqlite3", typeof(SQLitePCL.raw).Assembly, null, out var library)
            && NativeLibrary.TryGetExport(library, "sqlite3_busy_handler", out var busyHandler)
            && NativeLibrary.TryGetExport(library, "sqlite3_wal_hook", out var walHook)
            && NativeLibrary.TryGetExport(library, "sqlite3_wal_checkpoint", out var walCheckpoint))
        {
            BusyHandler = (delegate* unmanaged[Cdecl]<nint, delegate* unmanaged[Cdecl]<nint, int, int>, nint, int>)busyHandler;
            WalHook = (delegate* unmanaged[Cdecl]<nint, delegate* unmanaged[Cdecl]<nint, nint, nint, int, int>, nint, nint>)walHook;
            WalCheckpoint = (delegate* unmanaged[Cdecl]<nint, nint, int>)walCheckpoint;
        }
    }
}
