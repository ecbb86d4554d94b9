using System.Diagnostics.CodeAnalysis;

namespace Berth.Oci;

/// <summary>The <c>&lt;reference&gt;</c> of a manifest URL: a tag or a digest.</summary>
public readonly record struct Reference
{
    private Reference(string? tag, Digest? digest)
    {
        Tag = tag;
        Digest = digest;
    }

    public string? Tag { get; }

    public Digest? Digest { get; }

    [MemberNotNullWhen(true, nameof(Tag))]
    public bool IsTag => Tag is not null;

    public static bool TryParse(string? text, out Reference reference)
    {
        reference = default;
        if (text is null)
        {
            return false;
        }

        if (text.Contains(':', StringComparison.Ordinal))
        {
            if (!Oci.Digest.TryParse(text, out var digest))
            {
                return false;
            }

            reference = new Reference(null, digest);
            return true;
        }

        if (!Oci.Tag.IsValid(text))
        {
            return false;
        }

        reference = new Reference(text, null);
        return true;
    }

    public override string ToString() => Tag ?? Digest?.ToString() ?? "";
}
