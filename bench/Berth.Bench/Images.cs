using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Bench;

/// <summary>An OCI image layout on disk (skopeo's <c>oci:</c> transport) that the harness built itself.</summary>
internal sealed record ImageLayout(string Path, string Tag, long ContentBytes, int Layers)
{
    public string Reference => $"oci:{Path}:{Tag}";
}

/// <summary>
/// Builds test images from random bytes: uncompressed tar layers (so no client spends time compressing),
/// a config with the right diff_ids, OCI manifests and indexes. Every call makes new content, so no
/// registry or client cache can skip an upload.
/// </summary>
internal static class Images
{
    private const string OciLayer = "application/vnd.oci.image.layer.v1.tar";
    private const string OciIndex = "application/vnd.oci.image.index.v1+json";

    /// <summary>One image with <paramref name="layers"/> layers of <paramref name="layerBytes"/> bytes each.</summary>
    public static ImageLayout Image(string path, int layers, long layerBytes, Random random)
    {
        var blobs = StartLayout(path);
        var (manifest, size) = WriteImage(blobs, layers, layerBytes, "amd64", random);
        WriteIndexJson(path, manifest);
        return new ImageLayout(path, "v1", size, layers);
    }

    /// <summary>An image index naming one small image per platform.</summary>
    public static ImageLayout MultiPlatform(string path, string[] architectures, long layerBytes, Random random)
    {
        var blobs = StartLayout(path);
        var children = new JsonArray();
        long total = 0;
        foreach (var architecture in architectures)
        {
            var (manifest, size) = WriteImage(blobs, 1, layerBytes, architecture, random);
            manifest["platform"] = new JsonObject { ["architecture"] = architecture, ["os"] = "linux" };
            children.Add(manifest);
            total += size;
        }

        var index = new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = OciIndex, ["manifests"] = children };
        var descriptor = WriteJsonBlob(blobs, index, OciIndex);
        WriteIndexJson(path, descriptor);
        return new ImageLayout(path, "v1", total + (long)descriptor["size"]!, architectures.Length);
    }

    private static string StartLayout(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }

        var blobs = System.IO.Path.Combine(path, "blobs", "sha256");
        Directory.CreateDirectory(blobs);
        File.WriteAllText(System.IO.Path.Combine(path, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        return blobs;
    }

    private static (JsonObject Descriptor, long Bytes) WriteImage(string blobs, int layers, long layerBytes, string architecture, Random random)
    {
        var layerDescriptors = new JsonArray();
        var diffIds = new JsonArray();
        long total = 0;
        for (var i = 0; i < layers; i++)
        {
            var (digest, size) = WriteTarLayer(blobs, layerBytes, random);
            layerDescriptors.Add(new JsonObject { ["mediaType"] = OciLayer, ["digest"] = digest, ["size"] = size });
            diffIds.Add(digest);
            total += size;
        }

        var config = new JsonObject
        {
            ["architecture"] = architecture,
            ["os"] = "linux",
            ["config"] = new JsonObject(),
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = diffIds },
        };
        var configDescriptor = WriteJsonBlob(blobs, config, RegistryClient.OciConfig);
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = RegistryClient.OciManifest,
            ["config"] = configDescriptor,
            ["layers"] = layerDescriptors,
        };
        var manifestDescriptor = WriteJsonBlob(blobs, manifest, RegistryClient.OciManifest);
        return (manifestDescriptor, total + (long)configDescriptor["size"]! + (long)manifestDescriptor["size"]!);
    }

    private static JsonObject WriteJsonBlob(string blobs, JsonObject json, string mediaType)
    {
        var bytes = Encoding.UTF8.GetBytes(json.ToJsonString());
        var hex = Convert.ToHexStringLower(SHA256.HashData(bytes));
        File.WriteAllBytes(System.IO.Path.Combine(blobs, hex), bytes);
        return new JsonObject { ["mediaType"] = mediaType, ["digest"] = "sha256:" + hex, ["size"] = (long)bytes.Length };
    }

    private static void WriteIndexJson(string path, JsonObject manifest)
    {
        var entry = manifest.DeepClone().AsObject();
        entry.Remove("platform");
        entry["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = "v1" };
        var index = new JsonObject { ["schemaVersion"] = 2, ["manifests"] = new JsonArray(entry) };
        File.WriteAllText(System.IO.Path.Combine(path, "index.json"), index.ToJsonString());
    }

    /// <summary>A ustar archive holding one file of random bytes, streamed to disk and hashed as it is written.</summary>
    private static (string Digest, long Size) WriteTarLayer(string blobs, long fileBytes, Random random)
    {
        var temp = System.IO.Path.Combine(blobs, $"tmp-{Guid.NewGuid():N}");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
        {
            void Write(ReadOnlySpan<byte> bytes)
            {
                file.Write(bytes);
                hash.AppendData(bytes);
                size += bytes.Length;
            }

            Write(TarHeader("data", fileBytes));
            var buffer = new byte[1 << 20];
            for (var remaining = fileBytes; remaining > 0;)
            {
                var n = (int)Math.Min(buffer.Length, remaining);
                random.NextBytes(buffer.AsSpan(0, n));
                Write(buffer.AsSpan(0, n));
                remaining -= n;
            }

            var padding = (int)((512 - (fileBytes % 512)) % 512);
            Write(new byte[padding + 1024]); // pad the file to a block, then two empty blocks end the archive
        }

        var hex = Convert.ToHexStringLower(hash.GetHashAndReset());
        File.Move(temp, System.IO.Path.Combine(blobs, hex), overwrite: true);
        return ("sha256:" + hex, size);
    }

    private static byte[] TarHeader(string name, long size)
    {
        var header = new byte[512];
        void Put(int offset, string text) => Encoding.ASCII.GetBytes(text).CopyTo(header, offset);
        Put(0, name);
        Put(100, "0000644\0");
        Put(108, "0000000\0");
        Put(116, "0000000\0");
        Put(124, Convert.ToString(size, 8).PadLeft(11, '0') + "\0");
        Put(136, "00000000000\0");
        Put(148, "        ");
        header[156] = (byte)'0';
        Put(257, "ustar\0");
        Put(263, "00");
        var checksum = header.Sum(b => (int)b);
        Put(148, Convert.ToString(checksum, 8).PadLeft(6, '0') + "\0 ");
        return header;
    }
}
