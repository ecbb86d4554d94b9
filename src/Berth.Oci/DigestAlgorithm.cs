using System.Security.Cryptography;

namespace Berth.Oci;

public enum DigestAlgorithm
{
    Sha256,
    Sha512,
}

public static class DigestAlgorithms
{
    public static string Name(this DigestAlgorithm algorithm) => algorithm switch
    {
        DigestAlgorithm.Sha256 => "sha256",
        DigestAlgorithm.Sha512 => "sha512",
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    public static int HexLength(this DigestAlgorithm algorithm) => algorithm switch
    {
        DigestAlgorithm.Sha256 => 64,
        DigestAlgorithm.Sha512 => 128,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    public static HashAlgorithmName HashName(this DigestAlgorithm algorithm) => algorithm switch
    {
        DigestAlgorithm.Sha256 => HashAlgorithmName.SHA256,
        DigestAlgorithm.Sha512 => HashAlgorithmName.SHA512,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    public static bool TryParse(ReadOnlySpan<char> name, out DigestAlgorithm algorithm)
    {
        switch (name)
        {
            case "sha256":
                algorithm = DigestAlgorithm.Sha256;
                return true;
            case "sha512":
                algorithm = DigestAlgorithm.Sha512;
                return true;
            default:
                algorithm = default;
                return false;
        }
    }

    public static IncrementalHash CreateHash(this DigestAlgorithm algorithm) =>
        IncrementalHash.CreateHash(algorithm.HashName());
}
