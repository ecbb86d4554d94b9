using System.CommandLine;
using Berth.Client.Transfer;

namespace Berth.Cli.Commands;

/// <summary><c>berth copy SRC DST</c>: any location to any location; registry to registry streams, and mounts on the same registry.</summary>
internal static class CopyCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var sourceArg = new Argument<string>("SRC") { Description = "a registry reference, oci:DIR[:TAG], oci-archive:FILE, docker-archive:FILE" };
        var destinationArg = new Argument<string>("DST") { Description = "a registry reference, oci:DIR[:TAG], docker-archive:FILE" };
        var platform = new Option<string?>("--platform") { Description = "OS/ARCH[/VARIANT]: copy only this image of an index" };
        var command = new Command("copy", "Copy an image between registries (streamed, mounted on the same registry) or to/from local layouts")
        {
            sourceArg, destinationArg, platform,
        };
        command.Aliases.Add("cp");
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var from = Locations.Source(parse.GetValue(sourceArg)!);
            var to = Locations.Destination(parse.GetValue(destinationArg)!);
            var platformSpec = Transfers.Platform(parse.GetValue(platform));
            var repoTag = from.Registry is { } r && r.TagOrDefault is { } tag ? $"{r.Registry}/{r.Repository}:{tag}" : null;
            await using var source = ImageEndpoints.OpenSource(from, context.Registries);
            await using var destination = ImageEndpoints.OpenDestination(to, context.Registries, context.Retry, context.Journal, repoTag);
            var options = new CopyOptions { Parallelism = context.Parallelism, Platform = platformSpec, AllPlatforms = platformSpec is null && destination.AcceptsIndexes };
            return await Transfers.RunAsync(context, source, destination, options, "copied", cancellationToken);
        });
        return command;
    }
}
