using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;

namespace Berth.Oci.Tests;

public class RepositoryNameTests
{
    // The distribution spec's grammar, written independently of the hand-written checker.
    private static readonly Regex SpecGrammar = new(
        @"\A[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*\z",
        RegexOptions.CultureInvariant);

    private static bool SpecAccepts(string name) => name.Length <= 255 && SpecGrammar.IsMatch(name);

    [Theory]
    [InlineData("a")]
    [InlineData("0")]
    [InlineData("library/ubuntu")]
    [InlineData("a/b/c")]
    [InlineData("a__b")]
    [InlineData("a_b")]
    [InlineData("a--b")]
    [InlineData("a---------b")]
    [InlineData("a-b")]
    [InlineData("a.b")]
    [InlineData("a.b.c/d_e/f--g/h__i")]
    [InlineData("blobs/manifests/uploads/tags/referrers")]
    [InlineData("123/456")]
    public void Valid_names_are_accepted(string name)
    {
        Assert.True(SpecAccepts(name), "test data must match the spec grammar");
        Assert.True(RepositoryName.IsValid(name));
    }

    [Theory]
    [InlineData("")]
    [InlineData("A")]
    [InlineData("Library/ubuntu")]
    [InlineData("a/B")]
    [InlineData("a/")]
    [InlineData("/a")]
    [InlineData("/")]
    [InlineData("a//b")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("a/..")]
    [InlineData("../a")]
    [InlineData("a/../b")]
    [InlineData("a/./b")]
    [InlineData("a___b")]
    [InlineData("a_-b")]
    [InlineData("a-_b")]
    [InlineData("a._b")]
    [InlineData("a..b")]
    [InlineData("a.-b")]
    [InlineData(".a")]
    [InlineData("a.")]
    [InlineData("_a")]
    [InlineData("a_")]
    [InlineData("-a")]
    [InlineData("a-")]
    [InlineData("a/-b")]
    [InlineData("a/b.")]
    [InlineData("%2e")]
    [InlineData("%2e%2e/a")]
    [InlineData("a%2fb")]
    [InlineData("a b")]
    [InlineData(" a")]
    [InlineData("a\n")]
    [InlineData("a\\b")]
    [InlineData("a:b")]
    [InlineData("a@b")]
    [InlineData("a\0")]
    [InlineData("a\0b")]
    [InlineData("\u00e9")]
    [InlineData("a\u0660")]
    [InlineData("\uFF41")]
    [InlineData("a\u0131")]
    public void Invalid_names_are_rejected(string name)
    {
        Assert.False(SpecAccepts(name), "test data must not match the spec grammar");
        Assert.False(RepositoryName.IsValid(name));
    }

    [Fact]
    public void Null_is_rejected() => Assert.False(RepositoryName.IsValid(null));

    [Fact]
    public void Names_up_to_255_characters_are_accepted_and_longer_ones_rejected()
    {
        Assert.True(RepositoryName.IsValid(new string('a', 255)));
        Assert.False(RepositoryName.IsValid(new string('a', 256)));

        var slashed = string.Join('/', Enumerable.Repeat("ab", 85)); // 85*2 + 84 = 254
        Assert.Equal(254, slashed.Length);
        Assert.True(RepositoryName.IsValid(slashed + "c"));
        Assert.False(RepositoryName.IsValid(slashed + "cd"));
        Assert.False(RepositoryName.IsValid(new string('a', 100_000)));
    }

    [Fact]
    public void IsValid_agrees_with_the_spec_grammar_on_generated_strings()
    {
        // Short strings over a small alphabet find separator and slash corner cases; longer ones built from
        // valid-looking pieces probe the length limit, with an occasional stray character.
        var alphabet = "ab0._-/A%".ToCharArray();
        var shortStrings = Gen.Choose(0, 12)
            .SelectMany(length => Gen.ArrayOf(Gen.Elements(alphabet), length))
            .Select(chars => new string(chars));
        var validPieces = Gen.Elements("a", "b0", "a.b", "a__b", "a_b", "a--b", "/a", "ab", "0");
        var noisePieces = Gen.Elements("/", "-", "_", ".", "A", "%", "//");
        var longStrings = Gen.Choose(60, 130)
            .SelectMany(count => Gen.ArrayOf(Gen.Frequency((100, validPieces), (1, noisePieces)), count))
            .Select(parts => string.Concat(parts));
        var names = Gen.Frequency((4, shortStrings), (1, longStrings)).ToArbitrary();

        var property = Prop.ForAll(names, name => RepositoryName.IsValid(name) == SpecAccepts(name));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(20_000).WithQuietOnSuccess(true), property);
    }
}

public class TagTests
{
    private static readonly Regex SpecGrammar = new(@"\A[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}\z", RegexOptions.CultureInvariant);

    [Theory]
    [InlineData("latest")]
    [InlineData("v1.2.3")]
    [InlineData("_")]
    [InlineData("_x")]
    [InlineData("A")]
    [InlineData("0")]
    [InlineData("Z-._9")]
    [InlineData("a..b")]
    [InlineData("a--")]
    public void Valid_tags_are_accepted(string tag)
    {
        Assert.Matches(SpecGrammar, tag);
        Assert.True(Tag.IsValid(tag));
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData(".hidden")]
    [InlineData("-x")]
    [InlineData("a/b")]
    [InlineData("a:b")]
    [InlineData("sha256:abc")]
    [InlineData("a b")]
    [InlineData("a\n")]
    [InlineData("a\0")]
    [InlineData("a@b")]
    [InlineData("a+b")]
    [InlineData("%2e")]
    [InlineData("\u00e9")]
    [InlineData("a\u0660")]
    [InlineData("\u212A")] // Kelvin sign: folds to 'k' under case-insensitive matching
    public void Invalid_tags_are_rejected(string tag)
    {
        Assert.DoesNotMatch(SpecGrammar, tag);
        Assert.False(Tag.IsValid(tag));
    }

    [Fact]
    public void Null_is_rejected() => Assert.False(Tag.IsValid(null));

    [Fact]
    public void Tags_of_128_characters_are_accepted_and_129_rejected()
    {
        Assert.True(Tag.IsValid(new string('a', 128)));
        Assert.True(Tag.IsValid("_" + new string('-', 127)));
        Assert.False(Tag.IsValid(new string('a', 129)));
        Assert.False(Tag.IsValid(new string('a', 10_000)));
    }

    [Fact]
    public void IsValid_agrees_with_the_spec_grammar_on_generated_strings()
    {
        var good = "aZ09_.-".ToCharArray();
        var bad = ":/ %\u00e9\0+".ToCharArray();
        var character = Gen.Frequency((40, Gen.Elements(good)), (1, Gen.Elements(bad)));
        var length = Gen.Frequency((6, Gen.Choose(0, 10)), (2, Gen.Choose(120, 135)));
        var tags = length.SelectMany(n => Gen.ArrayOf(character, n)).Select(chars => new string(chars)).ToArbitrary();

        var property = Prop.ForAll(tags, tag => Tag.IsValid(tag) == SpecGrammar.IsMatch(tag));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(20_000).WithQuietOnSuccess(true), property);
    }
}

public class ReferenceTests
{
    [Fact]
    public void A_tag_reference_is_a_tag()
    {
        Assert.True(Reference.TryParse("latest", out var reference));
        Assert.True(reference.IsTag);
        Assert.Equal("latest", reference.Tag);
        Assert.Null(reference.Digest);
        Assert.Equal("latest", reference.ToString());
    }

    [Fact]
    public void A_digest_reference_is_a_digest()
    {
        var text = "sha256:" + DigestTests.EmptySha256;
        Assert.True(Reference.TryParse(text, out var reference));
        Assert.False(reference.IsTag);
        Assert.Equal(Digest.Parse(text), reference.Digest);
        Assert.Equal(text, reference.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sha256:abc")]
    [InlineData("sha256:../../etc")]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData(".latest")]
    [InlineData("a/b")]
    [InlineData("..")]
    public void Invalid_references_are_rejected(string? text) => Assert.False(Reference.TryParse(text, out _));
}
