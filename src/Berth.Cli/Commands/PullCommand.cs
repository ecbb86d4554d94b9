using System.CommandLine;
using Berth.Client.References;
using Berth.Client.Transfer;

namespace Berth.Cli.Commands;

/// <summary><c>berth pull REF DEST</c>.</summary>
internal static class PullCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var reference = new Argument<string>("REF") { Description = "HOST[:PORT]/REPO[:TAG|@DIGEST]" };
        var destinationArg = new Argument<string>("DEST")
        {
            Description = "oci:DIR[:TAG] (an OCI layout), docker-archive:FILE[:NAME:TAG] (for docker/podman load), or a path (*.tar: docker-archive, else OCI layout)",
        };
        var platform = new Option<string?>("--platform") { Description = "OS/ARCH[/VARIANT] to pick from a multi-platform image (default: this machine's)" };
        var all = new Option<bool>("--all-platforms") { Description = "Pull the whole index with every platform (OCI layout only)" };
        var command = new Command("pull", "Pull an image from a registry into an OCI layout or a docker-archive tarball")
        {
            reference, destinationArg, platform, all,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var source = Locations.Registry(parse.GetValue(reference)!);
            var target = Locations.Destination(parse.GetValue(destinationArg)!);
            if (target.Kind == LocationKind.Registry)
            {
                throw new UsageException($"{target} is a registry; pull writes to oci:DIR or docker-archive:FILE (use copy between registries)");
            }

            // An OCI layout gets the tag pulled unless DEST names one; a docker-archive gets the full name for docker load.
            if (target.Kind == LocationKind.OciLayout && target.Tag is null)
            {
                target = target with { Tag = source.TagOrDefault };
            }

            var repoTag = source.TagOrDefault is { } tag ? $"{source.Registry}/{source.Repository}:{tag}" : null;
            await using var from = ImageEndpoints.OpenSource(new ImageLocation(LocationKind.Registry, source, null, null), context.Registries);
            await using var to = ImageEndpoints.OpenDestination(target, context.Registries, context.Retry, context.Journal, repoTag);
            var options = new CopyOptions
            {
                Parallelism = context.Parallelism,
                Platform = Transfers.Platform(parse.GetValue(platform)),
                AllPlatforms = parse.GetValue(all),
            };
            return await Transfers.RunAsync(context, from, to, options, "pulled", cancellationToken);
        });
        return command;
    }
}
