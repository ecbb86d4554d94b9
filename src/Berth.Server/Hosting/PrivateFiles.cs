using System.Runtime.InteropServices;

namespace Berth.Server.Hosting;

/// <summary>
/// Keeps what the server writes (database and its journal files, blobs, uploads, keys) readable by its own user
/// only, whatever umask it was started with: other local users must not read private images or password hashes.
/// </summary>
internal static class PrivateFiles
{
    private const uint OwnerOnlyMask = 0x3F; // 077: no group or other bits on anything this process creates

    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Sets the process umask to 077, so every file and directory created from now on is 0600/0700.</summary>
    public static void RestrictNewFiles()
    {
        // SQLite and the storage driver create their files themselves; the umask is the one place that covers them all.
        if (OperatingSystem.IsLinux())
        {
            _ = NativeMethods.umask(OwnerOnlyMask);
        }
    }

    /// <summary>Creates the data directory 0700 when it does not exist; an existing one keeps the mode its owner gave it.</summary>
    public static void CreateDataDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, OwnerOnlyDirectory);
        }
    }

    /// <summary>
    /// <see cref="CreateDataDirectory"/>, then proves it writable with a file created and removed, so that a read-only
    /// or foreign directory fails at start with its name rather than at the first push.
    /// </summary>
    public static void CreateWritableDataDirectory(string path)
    {
        CreateDataDirectory(path);
        var probe = Path.Combine(path, $".write-test-{Environment.ProcessId}");
        File.WriteAllBytes(probe, []);
        File.Delete(probe);
    }

    private static class NativeMethods
    {
        [DllImport("libc", ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
#pragma warning disable SA1300, IDE1006 // the C function's own name
        public static extern uint umask(uint mask);
#pragma warning restore SA1300, IDE1006
    }
}
