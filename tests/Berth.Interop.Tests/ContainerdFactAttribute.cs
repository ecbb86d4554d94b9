namespace Berth.Interop.Tests;

/// <summary>A fact that needs containerd: skipped, saying why, where containerd cannot run at all.</summary>
public sealed class ContainerdFactAttribute : FactAttribute
{
    public ContainerdFactAttribute()
    {
        if (Containerd.Unavailable is { } why)
        {
            Skip = $"containerd cannot run here: {why}";
        }
    }
}
