using System.Security.Cryptography;
using Berth.Registry.Uploads;
using FsCheck;
using FsCheck.Fluent;

namespace Berth.Registry.Tests.Uploads;

public sealed class ResumableSha256Tests
{
    [Fact]
    public void Is_available_on_this_machine()
    {
        // The servers tests run here must hash as they stream; a silent fall-back would only show up in benchmarks.
        Assert.True(ResumableSha256.IsSupported);
    }

    [Fact]
    public void Known_answers()
    {
        using var empty = ResumableSha256.Create()!;
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Convert.ToHexStringLower(empty.GetCurrentHash()));

        using var abc = ResumableSha256.Create()!;
        abc.Append("abc"u8);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Convert.ToHexStringLower(abc.GetCurrentHash()));
    }

    [Fact]
    public void Any_split_exported_and_imported_between_pieces_gives_the_digest_of_the_whole()
    {
        // Pieces of 0–200 bytes straddle the 64-byte block boundary in every way; each piece goes to a "new node".
        var pieces = Gen.Choose(0, 200).SelectMany(length => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), length));
        var uploads = Gen.Choose(0, 12).SelectMany(count => Gen.ArrayOf(pieces, count)).ToArbitrary();

        var property = Prop.ForAll(uploads, chunks =>
        {
            var state = Create().Export();
            foreach (var chunk in chunks)
            {
                using var node = ResumableSha256.Import(state)!;
                node.Append(chunk);
                state = node.Export();
            }

            using var last = ResumableSha256.Import(state)!;
            return last.GetCurrentHash().AsSpan().SequenceEqual(SHA256.HashData(chunks.SelectMany(c => c).ToArray()));
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2_000).WithQuietOnSuccess(true), property);
    }

    [Fact]
    public void Reading_the_digest_leaves_the_state_running()
    {
        using var hash = Create();
        hash.Append("ab"u8);
        _ = hash.GetCurrentHash();
        hash.Append("c"u8);
        Assert.Equal(SHA256.HashData("abc"u8), hash.GetCurrentHash());
    }

    [Fact]
    public void A_state_that_is_not_ours_is_refused()
    {
        var state = Create().Export();
        Assert.Null(ResumableSha256.Import(state.AsSpan(1)));
        Assert.Null(ResumableSha256.Import([.. state, 0]));

        var wrongVersion = (byte[])state.Clone();
        wrongVersion[0] = 99;
        Assert.Null(ResumableSha256.Import(wrongVersion));

        // A block position past the 64-byte buffer would make OpenSSL write outside its context.
        var overflowing = (byte[])state.Clone();
        BitConverter.TryWriteBytes(overflowing.AsSpan(1 + 104), 64u);
        Assert.Null(ResumableSha256.Import(overflowing));
    }

    private static ResumableSha256 Create() => ResumableSha256.Create() ?? throw new InvalidOperationException("unsupported here");
}
