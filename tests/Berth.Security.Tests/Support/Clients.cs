namespace Berth.Security.Tests.Support;

/// <summary>What real clients print when a registry refuses them, and layout comparisons.</summary>
public static class Clients
{
    /// <summary>Phrases skopeo/podman (containers/image) print for a 401/403 from a registry or its token service.</summary>
    private static readonly string[] RefusalPhrases =
    [
        "requested access to the resource is denied",
        "denied",
        "unauthorized",
        "authentication required",
        "invalid username/password",
    ];

    /// <summary>The command failed and said why in words users recognise; returns the phrase found.</summary>
    public static string AssertRefused(CliResult result)
    {
        Assert.False(result.Succeeded, $"expected a refusal:\n{result}");
        var text = result.Stderr + result.Stdout;
        var phrase = RefusalPhrases.FirstOrDefault(p => text.Contains(p, StringComparison.OrdinalIgnoreCase));
        Assert.True(phrase is not null, $"the client failed without saying it was refused:\n{result}");
        return phrase!;
    }

    /// <summary>The layout holds <paramref name="image"/> under <paramref name="tag"/> byte for byte, and nothing else.</summary>
    public static void AssertHoldsExactly(OciLayout layout, string tag, ImageFixture image)
    {
        var entry = layout.Resolve(tag);
        Assert.Equal(image.Manifest.Digest, entry.Digest);
        Assert.Equal(image.Manifest.MediaType, entry.MediaType);
        foreach (var blob in image.AllContent)
        {
            Assert.True(layout.HasBlob(blob.Digest), $"{layout.Path} lacks {blob}");
            Assert.Equal(blob.Bytes, layout.ReadBlob(blob.Digest));
        }

        Assert.Equal(image.AllContent.Select(b => b.Digest).Distinct().Order(StringComparer.Ordinal), layout.BlobDigests());
    }
}
