using System.Text.Json;
using Berth.Oci;

namespace Berth.Server.Endpoints;

/// <summary>Writes errors in the distribution spec's shape: <c>{"errors":[{"code","message","detail"}]}</c>.</summary>
internal static class OciResponses
{
    public const string ApiVersionHeader = "Docker-Distribution-API-Version";
    public const string DigestHeader = "Docker-Content-Digest";

    public static async Task WriteErrorAsync(HttpContext context, OciError error)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            // Too late for a status: the only honest signal left is to cut the connection.
            context.Abort();
            return;
        }

        response.StatusCode = error.HttpStatus;
        response.ContentType = "application/json; charset=utf-8";
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        using var buffer = new MemoryStream();
        await using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("errors");
            json.WriteStartObject();
            json.WriteString("code", error.WireCode);
            json.WriteString("message", error.WireMessage);
            if (error.Detail is not null)
            {
                json.WritePropertyName("detail");
                JsonSerializer.Serialize(json, error.Detail, error.Detail.GetType());
            }

            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }

        response.ContentLength = buffer.Length;
        await response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted);
    }

    public static Task WriteErrorAsync(HttpContext context, OciErrorCode code, string? message = null, object? detail = null) =>
        WriteErrorAsync(context, new OciError(code, message, detail));

    /// <summary>A JSON body from source-generated metadata; no reflection on the hot path.</summary>
    public static async Task WriteJsonAsync<T>(HttpContext context, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo, string contentType = "application/json; charset=utf-8")
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);
        context.Response.ContentType = contentType;
        context.Response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
        }
    }
}
