namespace Berth.Interop.Tests;

internal static class LayoutAssert
{
    /// <summary>
    /// The layout holds <paramref name="fixture"/> under <paramref name="tag"/>, byte for byte: same manifest digest and
    /// media type, every blob present with the same bytes, and no other blob.
    /// </summary>
    public static void HoldsExactly(OciLayout layout, string tag, IManifestFixture fixture)
    {
        var entry = layout.Resolve(tag);
        Assert.Equal(fixture.Manifest.Digest, entry.Digest);
        Assert.Equal(fixture.Manifest.MediaType, entry.MediaType);
        Assert.Equal(fixture.Manifest.Size, entry.Size);
        foreach (var blob in fixture.AllContent)
        {
            Assert.True(layout.HasBlob(blob.Digest), $"{layout.Path} lacks {blob}");
            Assert.Equal(blob.Bytes, layout.ReadBlob(blob.Digest));
        }

        Assert.Equal(
            fixture.AllContent.Select(b => b.Digest).Distinct().Order(StringComparer.Ordinal),
            layout.BlobDigests());
    }

    /// <summary>The dir: layout holds <paramref name="fixture"/> byte for byte: manifest(s) and blobs, nothing else.</summary>
    public static void HoldsExactly(DirLayout layout, IManifestFixture fixture)
    {
        Assert.Equal(fixture.Manifest.Bytes, layout.ReadManifest());
        var children = fixture is IndexFixture index ? index.Images.Select(i => i.Manifest).ToList() : [];
        foreach (var child in children)
        {
            Assert.Equal(child.Bytes, layout.ReadManifest(child.Digest));
        }

        Assert.Equal(children.Select(c => c.Digest).Order(StringComparer.Ordinal), layout.ChildManifestDigests());
        var blobs = fixture.AllContent.Skip(1).Where(b => !children.Any(c => c.Digest == b.Digest)).ToList();
        foreach (var blob in blobs)
        {
            Assert.True(layout.HasBlob(blob.Digest), $"{layout.Path} lacks {blob}");
            Assert.Equal(blob.Bytes, layout.ReadBlob(blob.Digest));
        }

        Assert.Equal(blobs.Select(b => b.Digest).Distinct().Order(StringComparer.Ordinal), layout.BlobDigests());
    }

    /// <summary>Same file names, same bytes.</summary>
    public static void SameFiles(IReadOnlyDictionary<string, byte[]> expected, IReadOnlyDictionary<string, byte[]> actual)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (path, content) in expected)
        {
            Assert.True(content.AsSpan().SequenceEqual(actual[path]), $"{path} differs");
        }
    }
}
