using System.Runtime.InteropServices;
using Berth.Registry.Native;

namespace Berth.Registry.Uploads;

/// <summary>
/// SHA-256 whose running state can be exported after any byte and imported by another process, so each chunk of an
/// upload is hashed once, as it streams, on whichever node receives it. .NET's hashes cannot export their state, so this
/// drives OpenSSL's SHA-256 directly (the same assembly code, SHA-NI included, that .NET's own SHA-256 runs on Linux):
/// its <c>SHA256_CTX</c> is plain data with a stable public layout. Where libcrypto cannot be loaded,
/// <see cref="IsSupported"/> is false and uploads are hashed from their stored bytes once, at completion.
/// </summary>
internal sealed unsafe class ResumableSha256 : IDisposable
{
    // SHA256_CTX in OpenSSL's sha.h: uint h[8]; uint Nl, Nh; uint data[16]; uint num, md_len.
    private const int ContextSize = 112;
    private const int NumOffset = 104;
    private const int MdLenOffset = 108;
    private const byte Version = 1;

    /// <summary>Bytes of an exported state: a version byte and the context.</summary>
    public const int StateSize = 1 + ContextSize;

    private static readonly Native? Api = Native.Load();

    private byte* _context;

    private ResumableSha256()
    {
        _context = (byte*)NativeMemory.AllocZeroed(ContextSize);
    }

    public static bool IsSupported => Api is not null;

    /// <summary>A hash of no bytes yet; null where unsupported.</summary>
    public static ResumableSha256? Create()
    {
        if (Api is not { } api)
        {
            return null;
        }

        var hash = new ResumableSha256();
        api.Init(hash._context);
        return hash;
    }

    /// <summary>The hash as <see cref="Export"/> left it; null where unsupported or when the state is not one we wrote.</summary>
    public static ResumableSha256? Import(ReadOnlySpan<byte> state)
    {
        if (Api is null || state.Length != StateSize || state[0] != Version)
        {
            return null;
        }

        var context = state[1..];
        // OpenSSL indexes its block buffer with num: a state that was not ours must never reach it.
        if (BitConverter.ToUInt32(context[NumOffset..]) >= 64 || BitConverter.ToUInt32(context[MdLenOffset..]) != 32)
        {
            return null;
        }

        var hash = new ResumableSha256();
        context.CopyTo(new Span<byte>(hash._context, ContextSize));
        return hash;
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        fixed (byte* bytes = data)
        {
            Api!.Update(Context, bytes, (nuint)data.Length);
        }
    }

    public byte[] Export()
    {
        var state = new byte[StateSize];
        state[0] = Version;
        new ReadOnlySpan<byte>(Context, ContextSize).CopyTo(state.AsSpan(1));
        return state;
    }

    /// <summary>The digest of everything appended so far; the running state is left as it was.</summary>
    public byte[] GetCurrentHash()
    {
        var copy = stackalloc byte[ContextSize];
        new ReadOnlySpan<byte>(Context, ContextSize).CopyTo(new Span<byte>(copy, ContextSize));
        var digest = new byte[32];
        fixed (byte* output = digest)
        {
            Api!.Final(output, copy);
        }

        return digest;
    }

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    ~ResumableSha256() => Free();

    private void Free()
    {
        if (_context is not null)
        {
            NativeMemory.Free(_context);
            _context = null;
        }
    }

    private byte* Context => _context is not null ? _context : throw new ObjectDisposedException(nameof(ResumableSha256));

    private sealed class Native
    {
        private readonly delegate* unmanaged<byte*, int> _init;
        private readonly delegate* unmanaged<byte*, byte*, nuint, int> _update;
        private readonly delegate* unmanaged<byte*, byte*, int> _final;

        private Native(nint init, nint update, nint final)
        {
            _init = (delegate* unmanaged<byte*, int>)init;
            _update = (delegate* unmanaged<byte*, byte*, nuint, int>)update;
            _final = (delegate* unmanaged<byte*, byte*, int>)final;
        }

        public static Native? Load() =>
            LibCrypto.TryGetExport("SHA256_Init", out var init) &&
            LibCrypto.TryGetExport("SHA256_Update", out var update) &&
            LibCrypto.TryGetExport("SHA256_Final", out var final)
                ? new Native(init, update, final)
                : null;

        public void Init(byte* context) => Check(_init(context));

        public void Update(byte* context, byte* data, nuint length) => Check(_update(context, data, length));

        public void Final(byte* digest, byte* context) => Check(_final(digest, context));

        private static void Check(int result)
        {
            if (result != 1)
            {
                throw new InvalidOperationException("OpenSSL's SHA-256 failed");
            }
        }
    }
}
