namespace Berth.Registry.Storage;

/// <summary>Recognises a write refused because the file system is full (<c>ENOSPC</c>, or <c>EDQUOT</c>: over quota).</summary>
public static class DiskFull
{
    private const int NoSpace = 28; // ENOSPC
    private const int QuotaExceeded = 122; // EDQUOT (Linux)

    /// <summary>.NET reports errno in the low bits of an <see cref="IOException"/>'s HResult on Unix.</summary>
    public static bool Is(Exception exception) =>
        exception is IOException io && (io.HResult & 0xFFFF) is NoSpace or QuotaExceeded;
}
