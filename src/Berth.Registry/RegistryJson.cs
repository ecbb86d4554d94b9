using System.Text.Json.Serialization;

namespace Berth.Registry;

/// <summary>Source-generated JSON for what the registry stores, so no reflection runs on hot paths.</summary>
[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
internal sealed partial class RegistryJson : JsonSerializerContext;
