using System.Runtime.InteropServices;

namespace Berth.Client.Transfer;

/// <summary><c>os/arch[/variant]</c>.</summary>
public sealed record PlatformSpec(string Os, string Architecture, string? Variant = null)
{
    public static PlatformSpec Host => new("linux", RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.Arm => "arm",
        System.Runtime.InteropServices.Architecture.X86 => "386",
        System.Runtime.InteropServices.Architecture.S390x => "s390x",
        System.Runtime.InteropServices.Architecture.Ppc64le => "ppc64le",
        _ => "amd64",
    });

    public static PlatformSpec Parse(string text)
    {
        var parts = text.Split('/');
        return parts.Length is 2 or 3 && parts.All(p => p.Length > 0)
            ? new PlatformSpec(parts[0], parts[1], parts.Length == 3 ? parts[2] : null)
            : throw new FormatException($"'{text}' is not a platform: write OS/ARCH[/VARIANT], e.g. linux/arm64");
    }

    public bool Matches(Berth.Oci.Platform? platform) =>
        platform is not null && platform.Os == Os && platform.Architecture == Architecture &&
        (Variant is null || platform.Variant == Variant);

    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
}
