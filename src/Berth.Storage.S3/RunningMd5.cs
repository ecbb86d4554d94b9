using System.Buffers.Binary;
using System.Numerics;

namespace Berth.Storage.S3;

/// <summary>
/// MD5 over a whole object written in parts, whose running state (four registers and a length) survives a checkpoint:
/// between parts the byte count is a multiple of 64, so no partial block needs keeping. .NET's MD5 cannot be seeded
/// with a state, hence this small implementation. It exists to check a completed multipart upload against backends
/// that report a whole-object MD5 as its ETag without checking part ETags themselves (s3rver). The blocks go through
/// OpenSSL's MD5 where libcrypto is there (its <c>MD5_CTX</c> is plain data: the registers, a bit count, an empty block
/// buffer between whole blocks), else through the managed transform below, at about half the speed.
/// </summary>
internal struct RunningMd5
{
    private static readonly int[] Shifts =
    [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
        5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
        4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
        6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];

    private static readonly uint[] Constants = Enumerable.Range(0, 64).Select(i => (uint)(long)Math.Floor(Math.Abs(Math.Sin(i + 1)) * 4294967296.0)).ToArray();

    private uint _a;
    private uint _b;
    private uint _c;
    private uint _d;

    /// <summary>Bytes hashed so far (always whole 64-byte blocks).</summary>
    public long Length { get; private set; }

    public static RunningMd5 Create() => new() { _a = 0x67452301, _b = 0xefcdab89, _c = 0x98badcfe, _d = 0x10325476 };

    /// <summary>A state as <see cref="Export"/> wrote it; null if it is not one.</summary>
    public static RunningMd5? Import(string? state)
    {
        var colon = state?.IndexOf(':') ?? -1;
        if (state is null || colon != 32 || !long.TryParse(state.AsSpan(33), out var length) || length < 0 || length % 64 != 0)
        {
            return null;
        }

        Span<byte> registers = stackalloc byte[16];
        if (Convert.FromHexString(state.AsSpan(0, 32), registers, out _, out var written) != System.Buffers.OperationStatus.Done || written != 16)
        {
            return null;
        }

        return new RunningMd5
        {
            _a = BinaryPrimitives.ReadUInt32LittleEndian(registers),
            _b = BinaryPrimitives.ReadUInt32LittleEndian(registers[4..]),
            _c = BinaryPrimitives.ReadUInt32LittleEndian(registers[8..]),
            _d = BinaryPrimitives.ReadUInt32LittleEndian(registers[12..]),
            Length = length,
        };
    }

    /// <summary>The registers and length as text, for a writer's checkpoint.</summary>
    public readonly string Export()
    {
        Span<byte> registers = stackalloc byte[16];
        WriteRegisters(registers);
        return Convert.ToHexStringLower(registers) + ":" + Length;
    }

    /// <summary>Hashes whole 64-byte blocks (<paramref name="managed"/>: without OpenSSL, as where it is missing).</summary>
    public void AppendBlocks(ReadOnlySpan<byte> data, bool managed = false)
    {
        if (data.Length % 64 != 0)
        {
            throw new ArgumentException("only whole 64-byte blocks keep a resumable state", nameof(data));
        }

        if (managed || !NativeMd5.TryUpdate(ref _a, ref _b, ref _c, ref _d, Length, data))
        {
            for (var offset = 0; offset < data.Length; offset += 64)
            {
                Transform(data.Slice(offset, 64));
            }
        }

        Length += data.Length;
    }

    /// <summary>The MD5 of everything hashed plus <paramref name="last"/>; the running state is left as it was.</summary>
    public readonly byte[] Finish(ReadOnlySpan<byte> last)
    {
        var copy = this;
        var whole = last.Length - (last.Length % 64);
        copy.AppendBlocks(last[..whole]);
        var rest = last[whole..];
        Span<byte> padding = stackalloc byte[128];
        padding.Clear();
        rest.CopyTo(padding);
        padding[rest.Length] = 0x80;
        var paddedLength = rest.Length + 1 + 8 <= 64 ? 64 : 128;
        BinaryPrimitives.WriteUInt64LittleEndian(padding[(paddedLength - 8)..], (ulong)(copy.Length + rest.Length) * 8);
        for (var offset = 0; offset < paddedLength; offset += 64)
        {
            copy.Transform(padding.Slice(offset, 64));
        }

        var digest = new byte[16];
        copy.WriteRegisters(digest);
        return digest;
    }

    private readonly void WriteRegisters(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, _a);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], _b);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], _c);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], _d);
    }

    private void Transform(ReadOnlySpan<byte> block)
    {
        Span<uint> m = stackalloc uint[16];
        for (var i = 0; i < 16; i++)
        {
            m[i] = BinaryPrimitives.ReadUInt32LittleEndian(block[(i * 4)..]);
        }

        uint a = _a, b = _b, c = _c, d = _d;
        for (var i = 0; i < 64; i++)
        {
            uint f;
            int g;
            switch (i >> 4)
            {
                case 0:
                    f = (b & c) | (~b & d);
                    g = i;
                    break;
                case 1:
                    f = (d & b) | (~d & c);
                    g = ((5 * i) + 1) & 15;
                    break;
                case 2:
                    f = b ^ c ^ d;
                    g = ((3 * i) + 5) & 15;
                    break;
                default:
                    f = c ^ (b | ~d);
                    g = (7 * i) & 15;
                    break;
            }

            f += a + Constants[i] + m[g];
            a = d;
            d = c;
            c = b;
            b += BitOperations.RotateLeft(f, Shifts[i]);
        }

        _a += a;
        _b += b;
        _c += c;
        _d += d;
    }
}
