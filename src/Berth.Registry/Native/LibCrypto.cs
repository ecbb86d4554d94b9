using System.Runtime.InteropServices;

namespace Berth.Registry.Native;

/// <summary>
/// OpenSSL's libcrypto, for the hash functions whose state .NET cannot export (resumable upload hashes). .NET itself runs
/// on it on Linux, so it is there wherever the server runs there; elsewhere it may be absent, and callers fall back.
/// </summary>
public static class LibCrypto
{
    // libcrypto.so.3 on current Linux distributions, 1.1 on older ones; Homebrew's on macOS.
    private static readonly string[] Libraries = ["libcrypto.so.3", "libcrypto.so.1.1", "libcrypto.3.dylib", "/opt/homebrew/opt/openssl@3/lib/libcrypto.3.dylib"];

    private static readonly nint Library = Load();

    /// <summary>The address of an exported function, or false when libcrypto or the function is missing.</summary>
    public static bool TryGetExport(string name, out nint address)
    {
        address = 0;
        return Library != 0 && NativeLibrary.TryGetExport(Library, name, out address);
    }

    private static nint Load()
    {
        foreach (var name in Libraries)
        {
            if (NativeLibrary.TryLoad(name, out var library))
            {
                return library;
            }
        }

        return 0;
    }
}
