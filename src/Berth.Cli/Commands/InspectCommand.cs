using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Cli.Output;
using Berth.Client.Registry;
using Berth.Client.Transfer;
using Berth.Oci;

namespace Berth.Cli.Commands;

/// <summary><c>berth inspect REF</c>: manifest, platforms, config and sizes of an image anywhere berth can read.</summary>
internal static class InspectCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var location = new Argument<string>("REF") { Description = "a registry reference, oci:DIR[:TAG], oci-archive:FILE, docker-archive:FILE" };
        var raw = new Option<bool>("--raw") { Description = "Print the manifest exactly as stored" };
        var config = new Option<bool>("--config") { Description = "Print the image config (JSON)" };
        var platform = new Option<string?>("--platform") { Description = "OS/ARCH[/VARIANT]: inspect this image of an index" };
        var command = new Command("inspect", "Show an image's manifest, platforms, config and sizes") { location, raw, config, platform };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var context = new CliContext(parse, globals);
            await using var source = ImageEndpoints.OpenSource(Locations.Source(parse.GetValue(location)!), context.Registries);
            var manifest = await source.GetManifestAsync(null, cancellationToken);
            if (parse.GetValue(raw))
            {
                await context.Out.WriteAsync(System.Text.Encoding.UTF8.GetString(manifest.Bytes));
                await context.Out.WriteLineAsync();
                return ExitCodes.Success;
            }

            var document = manifest.Parse();
            var platformSpec = Transfers.Platform(parse.GetValue(platform));
            var image = manifest;
            var imageDocument = document;
            if (document.IsIndex && (platformSpec is not null || parse.GetValue(config)))
            {
                var child = ImageCopy.SelectPlatform(document, platformSpec ?? PlatformSpec.Host, source.Name);
                image = await source.GetManifestAsync(child.Digest, cancellationToken);
                imageDocument = image.Parse();
            }

            JsonNode? configJson = null;
            if (!imageDocument.IsIndex && imageDocument.Config is { } configDescriptor && configDescriptor.Size < 16 << 20)
            {
                await using var stream = await source.OpenBlobAsync(configDescriptor, 0, cancellationToken);
                using var buffer = new MemoryStream();
                await stream.CopyToAsync(buffer, cancellationToken);
                if (Digest.Compute(configDescriptor.Digest.Algorithm, buffer.GetBuffer().AsSpan(0, (int)buffer.Length)) != configDescriptor.Digest)
                {
                    throw new RegistryException(RegistryErrorKind.DigestMismatch, $"config {configDescriptor.Digest} does not match its digest");
                }

                try
                {
                    configJson = JsonNode.Parse(buffer.ToArray());
                }
                catch (JsonException)
                {
                    // An artifact's config need not be JSON.
                }
            }

            if (parse.GetValue(config))
            {
                context.Out.WriteLine(configJson?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? "{}");
                return ExitCodes.Success;
            }

            var summary = Summarize(source.Name, manifest, document, image, imageDocument, configJson);
            if (context.Mode == OutputMode.Json)
            {
                context.Json(summary);
            }
            else if (context.Mode == OutputMode.Quiet)
            {
                context.Out.WriteLine(manifest.Digest);
            }
            else
            {
                PrintHuman(context.Out, summary);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static JsonObject Summarize(string name, ManifestBlob manifest, ManifestDocument document, ManifestBlob image, ManifestDocument imageDocument, JsonNode? config)
    {
        var summary = new JsonObject
        {
            ["name"] = name,
            ["digest"] = manifest.Digest.ToString(),
            ["mediaType"] = manifest.MediaType,
            ["size"] = manifest.Bytes.LongLength,
        };
        if (document.ArtifactType is { } artifactType)
        {
            summary["artifactType"] = artifactType;
        }

        if (document.IsIndex)
        {
            summary["manifests"] = new JsonArray([.. document.Manifests.Select(m => (JsonNode)new JsonObject
            {
                ["platform"] = m.Platform is { } p ? new PlatformSpec(p.Os, p.Architecture, p.Variant).ToString() : null,
                ["digest"] = m.Digest.ToString(),
                ["mediaType"] = m.MediaType,
                ["size"] = m.Size,
            })]);
        }

        if (!imageDocument.IsIndex)
        {
            if (image != manifest)
            {
                summary["image"] = image.Digest.ToString();
            }

            summary["config"] = imageDocument.Config is { } c ? new JsonObject { ["digest"] = c.Digest.ToString(), ["mediaType"] = c.MediaType, ["size"] = c.Size } : null;
            summary["layers"] = new JsonArray([.. imageDocument.Layers.Select(l => (JsonNode)new JsonObject
            {
                ["digest"] = l.Digest.ToString(),
                ["mediaType"] = l.MediaType,
                ["size"] = l.Size,
            })]);
            summary["layersSize"] = imageDocument.Layers.Sum(l => l.Size);
            summary["totalSize"] = imageDocument.Layers.Sum(l => l.Size) + (imageDocument.Config?.Size ?? 0) + image.Bytes.LongLength;
            if (config is JsonObject c2)
            {
                summary["os"] = (string?)c2["os"];
                summary["architecture"] = (string?)c2["architecture"];
                summary["created"] = c2["created"]?.DeepClone();
                summary["env"] = c2["config"]?["Env"]?.DeepClone();
                summary["cmd"] = c2["config"]?["Cmd"]?.DeepClone();
                summary["entrypoint"] = c2["config"]?["Entrypoint"]?.DeepClone();
                summary["labels"] = c2["config"]?["Labels"]?.DeepClone();
            }
        }

        return summary;
    }

    private static void PrintHuman(TextWriter output, JsonObject summary)
    {
        output.WriteLine($"Name:       {summary["name"]}");
        output.WriteLine($"Digest:     {summary["digest"]}");
        output.WriteLine($"Media type: {summary["mediaType"]}");
        if (summary["artifactType"] is { } artifactType)
        {
            output.WriteLine($"Artifact:   {artifactType}");
        }

        if (summary["manifests"] is JsonArray manifests)
        {
            output.WriteLine("Platforms:");
            foreach (var m in manifests)
            {
                output.WriteLine($"  {(string?)m!["platform"] ?? "(none)",-20} {m["digest"]}  {Sizes.Format((long)m["size"]!)}");
            }
        }

        if (summary["os"] is not null)
        {
            output.WriteLine($"Platform:   {summary["os"]}/{summary["architecture"]}");
        }

        if (summary["created"] is { } created)
        {
            output.WriteLine($"Created:    {created}");
        }

        if (summary["config"] is JsonObject config)
        {
            output.WriteLine($"Config:     {config["digest"]}  {Sizes.Format((long)config["size"]!)}");
        }

        if (summary["layers"] is JsonArray layers)
        {
            // The layers' own sum; the total adds the config and the manifest, which are not layers.
            output.WriteLine($"Layers:     {Sizes.Count(layers.Count, "layer")}, {Sizes.Format((long)summary["layersSize"]!)}");
            output.WriteLine($"Total size: {Sizes.Format((long)summary["totalSize"]!)} with config and manifest");
            foreach (var layer in layers)
            {
                output.WriteLine($"  {layer!["digest"]}  {Sizes.Format((long)layer["size"]!),10}  {layer["mediaType"]}");
            }
        }

        foreach (var key in new[] { "cmd", "entrypoint", "env" })
        {
            if (summary[key] is JsonArray values && values.Count > 0)
            {
                output.WriteLine($"{char.ToUpperInvariant(key[0]) + key[1..] + ":",-12}{string.Join(' ', values.Select(v => (string?)v))}");
            }
        }
    }
}
