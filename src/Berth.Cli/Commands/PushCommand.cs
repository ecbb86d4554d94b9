using System.CommandLine;
using Berth.Client.Layouts;
using Berth.Client.References;
using Berth.Client.Transfer;

namespace Berth.Cli.Commands;

/// <summary><c>berth push SRC REF</c> or <c>berth push --from-dir DIR REF</c>.</summary>
internal static class PushCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var words = new Argument<string[]>("SRC REF")
        {
            Description = "SRC: oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE (docker save), or a path to one; REF: HOST[:PORT]/REPO[:TAG]",
            Arity = new ArgumentArity(1, 2),
        };
        var fromDir = new Option<string?>("--from-dir") { Description = "Pack this directory as a new single-layer image (reproducible digest) instead of SRC" };
        var platform = new Option<string?>("--platform") { Description = "OS/ARCH[/VARIANT]: push only this image of an index; with --from-dir, the image's platform" };
        var command = new Command("push", "Push an image from a local layout or archive (or a directory) to a registry") { words, fromDir, platform };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var args = parse.GetValue(words) ?? [];
            var directory = parse.GetValue(fromDir);
            if ((directory is null && args.Length != 2) || (directory is not null && args.Length != 1))
            {
                throw new UsageException("usage: berth push SRC REF, or berth push --from-dir DIR REF");
            }

            var target = Locations.Registry(args[^1]);
            var platformSpec = Transfers.Platform(parse.GetValue(platform));
            await using IImageSource source = directory is not null
                ? new DirectoryImageSource(directory, platformSpec)
                : ImageEndpoints.OpenSource(Locations.Source(args[0]), context.Registries);
            await using var destination = ImageEndpoints.OpenDestination(
                new ImageLocation(LocationKind.Registry, target, null, null), context.Registries, context.Retry, context.Journal);
            var options = new CopyOptions
            {
                Parallelism = context.Parallelism,
                Platform = directory is null ? platformSpec : null,
                // A push sends the whole index unless one platform is asked for.
                AllPlatforms = directory is null && platformSpec is null,
            };
            return await Transfers.RunAsync(context, source, destination, options, "pushed", cancellationToken);
        });
        return command;
    }
}
