using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Client.Auth;

/// <summary>
/// Credentials in docker's <c>config.json</c> format: <c>{"auths":{"host":{"auth":"base64(user:pass)"}}}</c>, with
/// <c>identitytoken</c>, <c>credHelpers</c> and <c>credsStore</c> honoured. Every other member of the file is kept as it
/// was, so docker, podman and skopeo keep working with the same file.
/// </summary>
internal sealed class DockerConfigCredentialStore(string configPath, IReadOnlyList<string> readOnlyFiles) : ICredentialStore
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public string ConfigPath { get; } = configPath;

    public async ValueTask<RegistryCredentials?> GetAsync(string registry, CancellationToken cancellationToken)
    {
        var config = await ReadAsync(ConfigPath, cancellationToken);
        if (config is not null && HelperFor(config, registry) is { } helper)
        {
            return await CredentialHelper.GetAsync(helper, registry, cancellationToken);
        }

        if (config is not null && FromAuths(config, registry) is { } own)
        {
            return own;
        }

        foreach (var file in readOnlyFiles)
        {
            if (await ReadAsync(file, cancellationToken) is { } other && FromAuths(other, registry) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    public async Task StoreAsync(string registry, RegistryCredentials credentials, CancellationToken cancellationToken)
    {
        var config = await ReadAsync(ConfigPath, cancellationToken) ?? [];
        if (HelperFor(config, registry) is { } helper)
        {
            await CredentialHelper.StoreAsync(helper, registry, credentials, cancellationToken);
            return;
        }

        if (config["auths"] is not JsonObject auths)
        {
            auths = [];
            config["auths"] = auths;
        }

        var entry = new JsonObject();
        if (credentials.IdentityToken is not null)
        {
            entry["auth"] = Encode(credentials.Username ?? "<token>", "");
            entry["identitytoken"] = credentials.IdentityToken;
        }
        else
        {
            entry["auth"] = Encode(credentials.Username ?? "", credentials.Password ?? "");
        }

        auths[registry] = entry;
        await WriteAsync(ConfigPath, config, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> EraseAsync(string registry, CancellationToken cancellationToken)
    {
        var erased = new List<string>();
        foreach (var file in new[] { ConfigPath }.Concat(readOnlyFiles))
        {
            var config = await ReadAsync(file, cancellationToken);
            if (config is null)
            {
                continue;
            }

            if (file == ConfigPath && HelperFor(config, registry) is { } helper)
            {
                await CredentialHelper.EraseAsync(helper, registry, cancellationToken);
                erased.Add($"docker-credential-{helper}");
            }

            if (config["auths"] is JsonObject auths && KeyFor(auths, registry) is { } key)
            {
                auths.Remove(key);
                await WriteAsync(file, config, cancellationToken);
                erased.Add(file);
            }
        }

        return erased;
    }

    private static string? HelperFor(JsonObject config, string registry) =>
        config["credHelpers"] is JsonObject helpers && helpers[registry] is JsonValue perHost && perHost.TryGetValue<string>(out var name)
            ? name
            : config["credsStore"] is JsonValue store && store.TryGetValue<string>(out var all) && all.Length > 0 ? all : null;

    private static RegistryCredentials? FromAuths(JsonObject config, string registry)
    {
        if (config["auths"] is not JsonObject auths || KeyFor(auths, registry) is not { } key || auths[key] is not JsonObject entry)
        {
            return null;
        }

        string? username = null, password = null;
        if (entry["auth"] is JsonValue auth && auth.TryGetValue<string>(out var encoded) && encoded.Length > 0)
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            }
            catch (FormatException)
            {
                return null;
            }

            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            username = colon >= 0 ? decoded[..colon] : decoded;
            password = colon >= 0 ? decoded[(colon + 1)..] : "";
        }

        var identityToken = entry["identitytoken"] is JsonValue token && token.TryGetValue<string>(out var t) && t.Length > 0 ? t : null;
        return username is null && identityToken is null ? null : new RegistryCredentials(username, password, identityToken);
    }

    /// <summary>Entries may be written as <c>host</c>, <c>https://host</c> or <c>http://host/v2/</c> by older clients.</summary>
    private static string? KeyFor(JsonObject auths, string registry)
    {
        foreach (var (key, _) in auths)
        {
            if (string.Equals(Normalize(key), registry, StringComparison.OrdinalIgnoreCase))
            {
                return key;
            }
        }

        return null;
    }

    private static string Normalize(string key)
    {
        var text = key;
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            text = text[(scheme + 3)..];
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        return slash >= 0 ? text[..slash] : text;
    }

    private static string Encode(string username, string password) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}"));

    private static async Task<JsonObject?> ReadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var bytes = await File.ReadAllBytesAsync(path, cancellationToken);
        if (bytes.Length == 0)
        {
            return [];
        }

        try
        {
            return JsonNode.Parse(bytes) as JsonObject
                ?? throw new InvalidDataException($"{path} is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid JSON ({e.Message}); fix or remove it", e);
        }
    }

    /// <summary>Written to a temporary file and renamed, readable by the owner only: it holds passwords.</summary>
    private static async Task WriteAsync(string path, JsonObject config, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + ".tmp-" + Environment.ProcessId;
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var stream = new FileStream(temp, options))
        {
            await JsonSerializer.SerializeAsync(stream, config, Indented, cancellationToken);
            await stream.WriteAsync("\n"u8.ToArray(), cancellationToken);
        }

        File.Move(temp, path, overwrite: true);
    }
}
