using System.CommandLine;
using System.Text.Json.Nodes;

namespace Berth.Cli.Commands;

/// <summary>
/// <c>berth rm REF</c>: deletes the manifest a tag or digest names. The Distribution API deletes manifests, not tags:
/// every tag pointing at the same manifest goes with it, so a tag is resolved first and the digest is reported.
/// </summary>
internal static class RmCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var references = new Argument<string[]>("REF") { Description = "HOST[:PORT]/REPO:TAG or HOST[:PORT]/REPO@DIGEST", Arity = ArgumentArity.OneOrMore };
        var command = new Command("rm", "Delete images (manifests) from a registry; blobs are reclaimed by its garbage collection") { references };
        command.Aliases.Add("delete");
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var results = new JsonArray();
            foreach (var text in parse.GetValue(references) ?? [])
            {
                var reference = Locations.Registry(text);
                var client = context.Registries.ForRegistry(reference.Registry);
                var digest = reference.Digest
                    ?? (await client.HeadManifestAsync(reference.Repository, reference.Reference, cancellationToken))?.Digest
                    ?? throw new Berth.Client.Registry.RegistryException(Berth.Client.Registry.RegistryErrorKind.NotFound, $"{reference}: no such image");
                await client.DeleteManifestAsync(reference.Repository, digest, cancellationToken);
                context.Human($"deleted {reference.Registry}/{reference.Repository}@{digest}");
                context.Quiet(digest.ToString());
                results.Add(new JsonObject { ["name"] = reference.ToString(), ["digest"] = digest.ToString() });
            }

            context.Json(results);
            return ExitCodes.Success;
        });
        return command;
    }
}
