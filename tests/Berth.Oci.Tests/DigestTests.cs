using System.Text;

namespace Berth.Oci.Tests;

public class DigestTests
{
    internal const string EmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    internal const string EmptySha512 =
        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";

    private const string AbcSha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    [Fact]
    public void Valid_sha256_parses_into_its_parts()
    {
        Assert.True(Digest.TryParse("sha256:" + EmptySha256, out var digest));
        Assert.Equal(DigestAlgorithm.Sha256, digest.Algorithm);
        Assert.Equal("sha256", digest.AlgorithmName);
        Assert.Equal(EmptySha256, digest.Encoded);
        Assert.Equal("sha256:" + EmptySha256, digest.ToString());
    }

    [Fact]
    public void Valid_sha512_parses_into_its_parts()
    {
        Assert.True(Digest.TryParse("sha512:" + EmptySha512, out var digest));
        Assert.Equal(DigestAlgorithm.Sha512, digest.Algorithm);
        Assert.Equal("sha512", digest.AlgorithmName);
        Assert.Equal(EmptySha512, digest.Encoded);
        Assert.Equal("sha512:" + EmptySha512, digest.ToString());
    }

    [Fact]
    public void Parse_returns_equal_values_for_equal_text_and_throws_on_bad_text()
    {
        Assert.Equal(Digest.Parse("sha256:" + EmptySha256), Digest.Parse("sha256:" + EmptySha256));
        Assert.NotEqual(Digest.Parse("sha256:" + EmptySha256), Digest.Parse("sha256:" + AbcSha256));
        Assert.Throws<FormatException>(() => Digest.Parse("sha256:nope"));
    }

    public static TheoryData<string?> InvalidDigests()
    {
        var hex64 = EmptySha256;
        var data = new TheoryData<string?>
        {
            null,
            "",
            ":",
            "sha256",
            "sha256:",
            ":" + hex64,
            // Uppercase hex would name a second storage path for the same content.
            "sha256:" + hex64.ToUpperInvariant(),
            "sha256:" + hex64[..63] + "E",
            "SHA256:" + hex64,
            "Sha256:" + hex64,
            // Wrong lengths.
            "sha256:" + hex64[..63],
            "sha256:" + hex64 + "0",
            "sha256:" + EmptySha512,
            "sha512:" + hex64,
            "sha512:" + EmptySha512[..127],
            "sha512:" + EmptySha512 + "a",
            // Unknown or unverifiable algorithms.
            "md5:d41d8cd98f00b204e9800998ecf8427e",
            "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "sha384:" + new string('a', 96),
            "sha256+b64u:" + hex64,
            "blake3:" + hex64,
            // Traversal and separators.
            "sha256:../../etc",
            "sha256:../../etc/passwd" + new string('0', 41),
            "sha256:" + hex64[..60] + "/../",
            "../sha256:" + hex64,
            "sha256/" + hex64,
            "sha256::" + hex64[..63],
            "sha256:" + hex64[..32] + ":" + hex64[..31],
            // NUL bytes.
            "sha256:" + hex64[..63] + "\0",
            "sha256\0:" + hex64,
            "\0sha256:" + hex64,
            // Non-hex letters and non-ASCII digits (Arabic-Indic zero, fullwidth zero, Devanagari one).
            "sha256:" + hex64[..63] + "g",
            "sha256:" + hex64[..63] + "\u0660",
            "sha256:" + hex64[..63] + "\uFF10",
            "sha256:" + hex64[..63] + "\u0967",
            "sha256:" + new string('\u0660', 64),
            // Whitespace anywhere.
            " sha256:" + hex64,
            "sha256:" + hex64 + " ",
            "sha256:" + hex64 + "\n",
            "sha256: " + hex64[..63],
            "sha256 :" + hex64,
            "sha256:" + hex64[..32] + " " + hex64[..31],
            "sha256:" + hex64[..63] + "\t",
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(InvalidDigests))]
    public void Invalid_digests_are_rejected(string? text)
    {
        Assert.False(Digest.TryParse(text, out var digest));
        Assert.Equal(default, digest);
    }

    [Theory]
    [InlineData("sha384:abc", true)]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e", true)]
    [InlineData("sha256+b64u:abc", true)]
    [InlineData("sha256:abc", false)]
    [InlineData("sha512:abc", false)]
    [InlineData("SHA384:abc", false)]
    [InlineData("../x:abc", false)]
    [InlineData("no-colon", false)]
    [InlineData(":abc", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsUnsupportedAlgorithm_tells_well_formed_unknown_algorithms_apart(string? text, bool expected) =>
        Assert.Equal(expected, Digest.IsUnsupportedAlgorithm(text));

    [Fact]
    public void Compute_matches_the_known_sha256_vectors()
    {
        Assert.Equal("sha256:" + EmptySha256, Digest.Compute(DigestAlgorithm.Sha256, []).ToString());
        Assert.Equal("sha256:" + EmptySha256, Digest.Sha256([]).ToString());
        Assert.Equal("sha256:" + AbcSha256, Digest.Sha256("abc"u8).ToString());
    }

    [Fact]
    public void Compute_matches_the_known_sha512_vectors()
    {
        Assert.Equal("sha512:" + EmptySha512, Digest.Compute(DigestAlgorithm.Sha512, []).ToString());
        Assert.Equal(
            "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            Digest.Compute(DigestAlgorithm.Sha512, "abc"u8).ToString());
    }

    [Fact]
    public void Computed_digests_parse_back_to_themselves()
    {
        foreach (var algorithm in Enum.GetValues<DigestAlgorithm>())
        {
            var computed = Digest.Compute(algorithm, Encoding.UTF8.GetBytes("berth"));
            Assert.Equal(algorithm.HexLength(), computed.Encoded.Length);
            Assert.True(Digest.TryParse(computed.ToString(), out var parsed));
            Assert.Equal(computed, parsed);
        }
    }

    [Fact]
    public void FromHash_writes_lowercase_hex()
    {
        var hash = new byte[32];
        hash[0] = 0xAB;
        hash[31] = 0xCD;
        var digest = Digest.FromHash(DigestAlgorithm.Sha256, hash);
        Assert.Equal("ab" + new string('0', 60) + "cd", digest.Encoded);
    }

    [Fact]
    public void Incremental_hash_of_an_algorithm_agrees_with_Compute()
    {
        foreach (var algorithm in Enum.GetValues<DigestAlgorithm>())
        {
            using var hash = algorithm.CreateHash();
            hash.AppendData("ab"u8);
            hash.AppendData("c"u8);
            Assert.Equal(Digest.Compute(algorithm, "abc"u8), Digest.FromHash(algorithm, hash.GetHashAndReset()));
        }
    }

    [Fact]
    public void Default_digest_prints_as_empty() => Assert.Equal("", default(Digest).ToString());
}
