using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Berth.Index;
using Microsoft.AspNetCore.Http.Features;

namespace Berth.Server.Api;

/// <summary>Reading requests and writing responses the same way on every endpoint of the REST API.</summary>
internal static class ApiResults
{
    public const string Json = "application/json";

    /// <summary>API bodies are small documents (a comment is at most 20,000 characters); anything larger is refused.</summary>
    private const long MaxBodyBytes = 1024 * 1024;

    public static IResult Problem(IndexError error) => Results.Problem(error.Detail, statusCode: error.Status, title: error.Title);

    public static IResult Problem(int status, string title, string detail) => Results.Problem(detail, statusCode: status, title: title);

    public static IResult Ok<T>(T value, JsonTypeInfo<T> type) => Results.Json(value, type);

    public static IResult Created<T>(HttpContext http, string location, T value, JsonTypeInfo<T> type)
    {
        http.Response.Headers.Location = location;
        return Results.Json(value, type, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>The value as JSON, or the error as problem details.</summary>
    public static IResult From<TValue, TWire>(Outcome<TValue> outcome, Func<TValue, TWire> map, JsonTypeInfo<TWire> type) =>
        outcome.IsSuccess ? Results.Json(map(outcome.Value), type) : Problem(outcome.Error);

    /// <summary>204 on success.</summary>
    public static IResult NoContent<T>(Outcome<T> outcome) => outcome.IsSuccess ? Results.NoContent() : Problem(outcome.Error);

    /// <summary>Reads a JSON body strictly with the API's source-generated contract.</summary>
    public static async Task<Outcome<T>> ReadAsync<T>(HttpContext http, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        var request = http.Request;
        if (request.ContentType is not null && !request.HasJsonContentType())
        {
            return new IndexError(StatusCodes.Status415UnsupportedMediaType, "Unsupported Media Type", "the body must be application/json");
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            return new IndexError(StatusCodes.Status413PayloadTooLarge, "Payload Too Large", $"API bodies are limited to {MaxBodyBytes} bytes");
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }

        try
        {
            var body = await JsonSerializer.DeserializeAsync(request.Body, type, cancellationToken);
            return body is null ? IndexError.Invalid("a JSON object is required") : body;
        }
        catch (JsonException e)
        {
            return IndexError.Invalid($"the body is not the expected JSON: {e.Message}");
        }
        catch (BadHttpRequestException e)
        {
            return new IndexError(e.StatusCode, "Bad Request", e.Message);
        }
    }

    /// <summary><c>page</c> (1-based) and <c>n</c> (1–100, default 25) from the query string.</summary>
    public static Outcome<PageRequest> Page(HttpContext http)
    {
        var query = http.Request.Query;
        if (!TryParseOptional(query["page"], out var page) || !TryParseOptional(query["n"], out var size))
        {
            return IndexError.Invalid("page and n must be integers");
        }

        return PageRequest.Create(page, size);
    }

    private static bool TryParseOptional(string? text, out int? value)
    {
        value = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            value = parsed;
            return true;
        }

        return false;
    }
}
