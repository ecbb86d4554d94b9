using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Berth.Oci;

/// <summary>
/// A content digest, <c>algorithm:encoded</c>. Only the algorithms a registry can verify are accepted
/// (sha256, sha512), and only lowercase hex of the exact length: anything else could name two different
/// storage paths for the same content, or none.
/// </summary>
public readonly record struct Digest
{
    private Digest(DigestAlgorithm algorithm, string encoded)
    {
        Algorithm = algorithm;
        Encoded = encoded;
    }

    public DigestAlgorithm Algorithm { get; }

    /// <summary>The lowercase hex part after the colon.</summary>
    public string Encoded { get; }

    public string AlgorithmName => Algorithm.Name();

    public static bool TryParse([NotNullWhen(true)] string? text, out Digest digest)
    {
        digest = default;
        if (text is null)
        {
            return false;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        if (!DigestAlgorithms.TryParse(text.AsSpan(0, colon), out var algorithm))
        {
            return false;
        }

        var encoded = text.AsSpan(colon + 1);
        if (encoded.Length != algorithm.HexLength() || !IsLowerHex(encoded))
        {
            return false;
        }

        digest = new Digest(algorithm, encoded.ToString());
        return true;
    }

    public static Digest Parse(string text) =>
        TryParse(text, out var digest) ? digest : throw new FormatException($"'{text}' is not a valid digest.");

    /// <summary>Whether the text has the general digest shape but an algorithm we do not support.</summary>
    public static bool IsUnsupportedAlgorithm(string? text)
    {
        if (text is null)
        {
            return false;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && !DigestAlgorithms.TryParse(text.AsSpan(0, colon), out _) && IsAlgorithmGrammar(text.AsSpan(0, colon));
    }

    public static Digest FromHash(DigestAlgorithm algorithm, ReadOnlySpan<byte> hash) =>
        new(algorithm, Convert.ToHexStringLower(hash));

    public static Digest Compute(DigestAlgorithm algorithm, ReadOnlySpan<byte> content)
    {
        Span<byte> hash = stackalloc byte[64];
        var written = algorithm switch
        {
            DigestAlgorithm.Sha256 => SHA256.HashData(content, hash),
            DigestAlgorithm.Sha512 => SHA512.HashData(content, hash),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
        };
        return FromHash(algorithm, hash[..written]);
    }

    public static Digest Sha256(ReadOnlySpan<byte> content) => Compute(DigestAlgorithm.Sha256, content);

    public override string ToString() => Encoded is null ? "" : $"{AlgorithmName}:{Encoded}";

    private static bool IsLowerHex(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsAlgorithmGrammar(ReadOnlySpan<char> algorithm)
    {
        foreach (var c in algorithm)
        {
            if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c is not ('+' or '.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
