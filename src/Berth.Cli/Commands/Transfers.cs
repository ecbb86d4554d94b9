using System.Diagnostics;
using System.Text.Json.Nodes;
using Berth.Cli.Output;
using Berth.Client.Transfer;

namespace Berth.Cli.Commands;

/// <summary>push, pull and copy: run one image copy with the right progress display and report it.</summary>
internal static class Transfers
{
    public static async Task<int> RunAsync(
        CliContext context, IImageSource source, IImageDestination destination, CopyOptions options, string verb, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        CopyResult result;
        if (context.Interactive)
        {
            result = await SpectreProgress.RunAsync(verb, progress => ImageCopy.CopyAsync(source, destination, options, progress, cancellationToken));
        }
        else
        {
            ITransferProgress progress = context.Mode == OutputMode.Human ? new PlainProgress(context.Error, verb) : NullTransferProgress.Instance;
            result = await ImageCopy.CopyAsync(source, destination, options, progress, cancellationToken);
        }

        var elapsed = stopwatch.Elapsed;
        context.Human(
            $"{destination.Name}: {result.Manifest.Digest} — {Sizes.Count(result.BlobsTransferred, "blob")} {verb} ({Sizes.Format(result.BytesTransferred)}" +
            $"{(result.BytesTransferred > 0 ? ", " + Sizes.Rate(result.BytesTransferred, elapsed) : "")}), " +
            $"{result.BlobsSkipped} already there, {result.BlobsMounted} mounted, in {elapsed.TotalSeconds:0.00} s");
        context.Quiet(result.Manifest.Digest.ToString());
        context.Json(new JsonObject
        {
            ["source"] = source.Name,
            ["destination"] = destination.Name,
            ["digest"] = result.Manifest.Digest.ToString(),
            ["mediaType"] = result.Manifest.MediaType,
            ["tag"] = result.Tag,
            ["bytes"] = result.BytesTransferred,
            ["blobs"] = new JsonObject
            {
                ["transferred"] = result.BlobsTransferred,
                ["skipped"] = result.BlobsSkipped,
                ["mounted"] = result.BlobsMounted,
            },
            ["seconds"] = Math.Round(elapsed.TotalSeconds, 3),
        });
        return ExitCodes.Success;
    }

    public static PlatformSpec? Platform(string? text)
    {
        try
        {
            return text is null ? null : PlatformSpec.Parse(text);
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message);
        }
    }
}
