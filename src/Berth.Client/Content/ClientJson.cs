using System.Text.Encodings.Web;
using System.Text.Json;

namespace Berth.Client.Content;

/// <summary>JSON as other tools write it: media types keep their '+' (the default encoder escapes it as \u002B).</summary>
internal static class ClientJson
{
    public static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
