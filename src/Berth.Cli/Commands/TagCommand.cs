using System.CommandLine;
using System.Text.Json.Nodes;
using Berth.Client.References;
using Berth.Client.Transfer;

namespace Berth.Cli.Commands;

/// <summary>
/// <c>berth tag REF TARGET…</c>: another name for the same manifest. A bare tag stays in the repository (one manifest PUT);
/// a full reference in another repository of the same registry mounts the blobs; another registry copies them.
/// </summary>
internal static class TagCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var source = new Argument<string>("REF") { Description = "HOST[:PORT]/REPO[:TAG|@DIGEST]" };
        var targets = new Argument<string[]>("TARGET") { Description = "new tags, or full references HOST/REPO:TAG", Arity = ArgumentArity.OneOrMore };
        var command = new Command("tag", "Give an image in a registry more tags (or names in other repositories)") { source, targets };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            var origin = Locations.Registry(parse.GetValue(source)!);
            var client = context.Registries.ForRegistry(origin.Registry);
            var manifest = await client.GetManifestAsync(origin.Repository, origin.Reference, cancellationToken);
            var results = new JsonArray();
            foreach (var target in parse.GetValue(targets) ?? [])
            {
                var to = Oci.Tag.IsValid(target) ? origin with { Tag = target, Digest = null } : Locations.Registry(target);
                if (to.Tag is null)
                {
                    throw new UsageException($"{target} names no tag");
                }

                if (to.Registry == origin.Registry && to.Repository == origin.Repository)
                {
                    await client.PutManifestAsync(to.Repository, to.Tag, manifest, cancellationToken);
                }
                else
                {
                    // Pinned by digest, so every target gets exactly the manifest resolved above.
                    await using var src = new RegistrySource(client, origin.WithDigest(manifest.Digest));
                    await using var dst = ImageEndpoints.OpenDestination(new ImageLocation(LocationKind.Registry, to, null, null), context.Registries, context.Retry, context.Journal);
                    await ImageCopy.CopyAsync(src, dst, new CopyOptions { AllPlatforms = true, Parallelism = context.Parallelism }, NullTransferProgress.Instance, cancellationToken);
                }

                context.Human($"{to} → {manifest.Digest}");
                context.Quiet(to.ToString());
                results.Add(new JsonObject { ["name"] = to.ToString(), ["digest"] = manifest.Digest.ToString() });
            }

            context.Json(results);
            return ExitCodes.Success;
        });
        return command;
    }
}
