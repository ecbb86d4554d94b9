using System.CommandLine;
using System.Text.Json.Nodes;
using Berth.Client.Registry;

namespace Berth.Cli.Commands;

/// <summary>
/// <c>berth rm REF</c>: <c>REPO:TAG</c> removes that tag only (the manifest and its other tags stay, as
/// <c>podman untag</c> does locally); <c>REPO@DIGEST</c>, or a tag with <c>--manifest</c>, deletes the manifest and with
/// it every tag pointing at it. The digest is resolved first so that it can be reported.
/// </summary>
internal static class RmCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var references = new Argument<string[]>("REF") { Description = "HOST[:PORT]/REPO:TAG or HOST[:PORT]/REPO@DIGEST", Arity = ArgumentArity.OneOrMore };
        var manifest = new Option<bool>("--manifest")
        {
            Description = "for REPO:TAG, delete the manifest the tag names and every tag pointing at it, not just this tag",
        };
        var command = new Command("rm", "Delete tags or manifests from a registry; blobs are reclaimed by its garbage collection") { references, manifest };
        command.Aliases.Add("delete");
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var wholeManifest = parse.GetValue(manifest);
            var results = new JsonArray();
            foreach (var text in parse.GetValue(references) ?? [])
            {
                var reference = Locations.Registry(text);
                var client = context.Registries.ForRegistry(reference.Registry);
                var digest = reference.Digest
                    ?? (await client.HeadManifestAsync(reference.Repository, reference.Reference, cancellationToken))?.Digest
                    ?? throw new RegistryException(RegistryErrorKind.NotFound, $"{reference}: no such image");
                var tagOnly = reference.Digest is null && !wholeManifest;
                if (tagOnly)
                {
                    await client.DeleteTagAsync(reference.Repository, reference.Reference, cancellationToken);
                    context.Human($"untagged {reference} (manifest {digest} stays)");
                }
                else
                {
                    await client.DeleteManifestAsync(reference.Repository, digest, cancellationToken);
                    context.Human($"deleted {reference.Registry}/{reference.Repository}@{digest} and every tag on it");
                }

                context.Quiet(digest.ToString());
                results.Add(new JsonObject { ["name"] = reference.ToString(), ["digest"] = digest.ToString(), ["deleted"] = tagOnly ? "tag" : "manifest" });
            }

            context.Json(results);
            return ExitCodes.Success;
        });
        return command;
    }
}
