using Berth.Registry.Native;

namespace Berth.Storage.S3;

/// <summary>OpenSSL's MD5 block function, seeded with <see cref="RunningMd5"/>'s registers; absent without libcrypto.</summary>
internal static unsafe class NativeMd5
{
    // MD5_CTX in OpenSSL's md5.h: uint A, B, C, D, Nl, Nh; uint data[16]; uint num.
    private const int ContextSize = 92;

    private static readonly delegate* unmanaged<byte*, byte*, nuint, int> Update = Load();

    /// <summary>Hashes whole blocks onto the registers; false where libcrypto could not be loaded.</summary>
    public static bool TryUpdate(ref uint a, ref uint b, ref uint c, ref uint d, long length, ReadOnlySpan<byte> blocks)
    {
        if (Update is null)
        {
            return false;
        }

        var context = stackalloc uint[ContextSize / 4];
        new Span<uint>(context, ContextSize / 4).Clear();
        var bits = (ulong)length * 8;
        (context[0], context[1], context[2], context[3], context[4], context[5]) = (a, b, c, d, (uint)bits, (uint)(bits >> 32));
        fixed (byte* data = blocks)
        {
            if (Update((byte*)context, data, (nuint)blocks.Length) != 1)
            {
                throw new InvalidOperationException("OpenSSL's MD5 failed");
            }
        }

        (a, b, c, d) = (context[0], context[1], context[2], context[3]);
        return true;
    }

    private static delegate* unmanaged<byte*, byte*, nuint, int> Load() =>
        LibCrypto.TryGetExport("MD5_Update", out var update) ? (delegate* unmanaged<byte*, byte*, nuint, int>)update : null;
}
