using System.Security.Cryptography;
using System.Text;

namespace Berth.Testing;

/// <summary>
/// The blob storage the tests' Berth servers use. By default the filesystem under their data directory; with
/// <c>BERTH_TEST_STORAGE=s3</c>, one bucket of one s3rver per test process (started on first use, killed at exit), every
/// data directory under a key prefix of its own, named from the directory, so servers started on one data directory
/// (a restart, a second node) share their storage as they would share the files, and all others are isolated.
/// </summary>
public static class TestStorage
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static S3rver? _s3;

    /// <summary>Whether the Berth servers of this test run keep their blobs in s3rver.</summary>
    public static bool S3Enabled =>
        string.Equals(Environment.GetEnvironmentVariable("BERTH_TEST_STORAGE"), "s3", StringComparison.OrdinalIgnoreCase);

    /// <summary>The key prefix of a data directory: the same directory, the same prefix (ends with '/', as the driver requires).</summary>
    public static string PrefixFor(string dataDir) =>
        "berth-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDir))))[..24] + "/";

    /// <summary>This process's s3rver, started by the first caller.</summary>
    public static async Task<S3rver> SharedS3rverAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _s3) is { } running)
        {
            return running;
        }

        await Gate.WaitAsync(cancellationToken);
        try
        {
            if (_s3 is null)
            {
                var started = await S3rver.StartAsync(cancellationToken: cancellationToken);

                // A test host that ends normally takes its emulator with it (no test owns it to dispose of it).
                AppDomain.CurrentDomain.ProcessExit += (_, _) => started.DisposeAsync().AsTask().GetAwaiter().GetResult();
                Volatile.Write(ref _s3, started);
            }

            return _s3;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>The berth-server options that store a data directory's blobs under its prefix in the shared bucket.</summary>
    public static async Task<IReadOnlyList<string>> ServerArgsAsync(string dataDir, CancellationToken cancellationToken = default)
    {
        var s3 = await SharedS3rverAsync(cancellationToken);
        return [.. s3.ServerArgs(), "--s3-prefix", PrefixFor(dataDir)];
    }
}
