using System.Text.Json;
using System.Text.Json.Serialization;

namespace Berth.Storage.S3;

/// <summary>
/// What a suspended S3 writer leaves in its checkpoint. Every part but the last is exactly <see cref="PartSize"/> bytes
/// and parts are numbered 1, 2, … in order, so the parts are only their ETags: as one base64 string of their binary
/// MD5s where the store uses MD5 ETags (16 bytes a part, so about 4,000 parts fit the session row's 100,000
/// characters), else as a list. The tail is the buffered rest, smaller than a part, in an object of its own.
/// </summary>
internal sealed record S3WriterState
{
    public const int CurrentVersion = 1;

    [JsonPropertyName("v")]
    public int Version { get; init; } = CurrentVersion;

    [JsonPropertyName("ps")]
    public int PartSize { get; init; }

    /// <summary>The multipart upload, once the first part was sent.</summary>
    [JsonPropertyName("mpu")]
    public string? UploadId { get; init; }

    /// <summary>Base64 of the parts' binary MD5s, when every part's ETag was its MD5.</summary>
    [JsonPropertyName("md5s")]
    public string? PartMd5s { get; init; }

    /// <summary>The parts' ETags as the store gave them, when they are not MD5s.</summary>
    [JsonPropertyName("etags")]
    public List<string>? PartETags { get; init; }

    /// <summary>The object holding the buffered bytes after the last part, if any.</summary>
    [JsonPropertyName("tail")]
    public string? Tail { get; init; }

    [JsonPropertyName("ts")]
    public long TailSize { get; init; }

    /// <summary>The whole object's running MD5 over the parts (<see cref="RunningMd5.Export"/>).</summary>
    [JsonPropertyName("md5")]
    public string? Md5 { get; init; }

    public string Serialize() => JsonSerializer.Serialize(this, S3StateJson.Default.S3WriterState);

    public static S3WriterState? Parse(string state)
    {
        try
        {
            return JsonSerializer.Deserialize(state, S3StateJson.Default.S3WriterState);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

[JsonSerializable(typeof(S3WriterState))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class S3StateJson : JsonSerializerContext;
