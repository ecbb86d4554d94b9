using Berth.Client.Registry;
using Berth.Client.Transfer;
using Berth.Oci;

namespace Berth.Cli.Output;

/// <summary>Progress for logs and pipes: one line per finished blob and per note, on stderr.</summary>
internal sealed class PlainProgress(TextWriter writer, string verb) : ITransferProgress
{
    private readonly Lock _lock = new();

    public void BlobsPlanned(IReadOnlyCollection<Descriptor> blobs)
    {
    }

    public void BlobStarted(Descriptor blob, long alreadyDone)
    {
    }

    public void BlobAdvanced(Descriptor blob, long bytes)
    {
    }

    public void BlobFinished(Descriptor blob, BlobOutcome outcome) => Line(outcome switch
    {
        BlobOutcome.Exists => $"{Short(blob.Digest)}  {Sizes.Format(blob.Size),10}  already there",
        BlobOutcome.Mounted => $"{Short(blob.Digest)}  {Sizes.Format(blob.Size),10}  mounted",
        _ => $"{Short(blob.Digest)}  {Sizes.Format(blob.Size),10}  {verb}",
    });

    public void Note(string message) => Line(message);

    public void ManifestWritten(ManifestBlob manifest, string? tag) =>
        Line($"manifest {manifest.Digest}{(tag is null ? "" : " as " + tag)}");

    internal static string Short(Digest digest) => $"{digest.AlgorithmName}:{digest.Encoded[..12]}";

    private void Line(string text)
    {
        lock (_lock)
        {
            writer.WriteLine(text);
        }
    }
}
