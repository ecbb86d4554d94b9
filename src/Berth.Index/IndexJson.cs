using System.Text.Json.Serialization;
using Berth.Index.Tokens;

namespace Berth.Index;

[JsonSerializable(typeof(List<AccessEntry>))]
[JsonSerializable(typeof(List<string>))]
internal sealed partial class IndexJson : JsonSerializerContext;
