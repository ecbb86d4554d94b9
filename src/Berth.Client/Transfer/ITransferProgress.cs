using Berth.Client.Registry;
using Berth.Oci;

namespace Berth.Client.Transfer;

/// <summary>How a blob reached its destination.</summary>
public enum BlobOutcome
{
    /// <summary>Its bytes were sent (or received).</summary>
    Transferred,

    /// <summary>The destination already had it.</summary>
    Exists,

    /// <summary>Mounted from another repository of the same registry: no bytes moved.</summary>
    Mounted,
}

/// <summary>Events of a copy, for progress bars, plain log lines or JSON. Called from several threads at once.</summary>
public interface ITransferProgress
{
    /// <summary>The blobs an image needs, before any is copied (called once per image; a blob may appear in several).</summary>
    void BlobsPlanned(IReadOnlyCollection<Descriptor> blobs);

    void BlobStarted(Descriptor blob, long alreadyDone);

    void BlobAdvanced(Descriptor blob, long bytes);

    void BlobFinished(Descriptor blob, BlobOutcome outcome);

    /// <summary>A retry or a resume worth telling the user about.</summary>
    void Note(string message);

    void ManifestWritten(ManifestBlob manifest, string? tag);
}

/// <summary>Progress nobody watches.</summary>
public sealed class NullTransferProgress : ITransferProgress
{
    public static readonly NullTransferProgress Instance = new();

    public void BlobsPlanned(IReadOnlyCollection<Descriptor> blobs)
    {
    }

    public void BlobStarted(Descriptor blob, long alreadyDone)
    {
    }

    public void BlobAdvanced(Descriptor blob, long bytes)
    {
    }

    public void BlobFinished(Descriptor blob, BlobOutcome outcome)
    {
    }

    public void Note(string message)
    {
    }

    public void ManifestWritten(ManifestBlob manifest, string? tag)
    {
    }
}
