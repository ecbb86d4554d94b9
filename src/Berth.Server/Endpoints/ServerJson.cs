using System.Text.Json.Serialization;

namespace Berth.Server.Endpoints;

internal sealed record TagList(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("tags")] IReadOnlyList<string> Tags);

internal sealed record CatalogList(
    [property: JsonPropertyName("repositories")] IReadOnlyList<string> Repositories);

internal sealed record DescriptorDto(
    [property: JsonPropertyName("mediaType")] string MediaType,
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("artifactType"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ArtifactType,
    [property: JsonPropertyName("annotations"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? Annotations);

internal sealed record ImageIndexDto(
    [property: JsonPropertyName("schemaVersion")] int SchemaVersion,
    [property: JsonPropertyName("mediaType")] string MediaType,
    [property: JsonPropertyName("manifests")] IReadOnlyList<DescriptorDto> Manifests);

[JsonSerializable(typeof(TagList))]
[JsonSerializable(typeof(CatalogList))]
[JsonSerializable(typeof(ImageIndexDto))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(TokenErrorResponse))]
internal sealed partial class ServerJson : JsonSerializerContext;
