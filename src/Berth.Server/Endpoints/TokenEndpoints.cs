using System.Text.Json.Serialization;
using Berth.Index;
using Berth.Index.Accounts;
using Berth.Index.Audit;
using Berth.Index.Tokens;
using Berth.Server.Auth;
using Berth.Server.Hosting;
using Microsoft.AspNetCore.Mvc;

namespace Berth.Server.Endpoints;

/// <summary>
/// The token service (Docker token authentication): <c>GET /token</c> with Basic or no credentials,
/// <c>POST /token</c> with the OAuth2 password and refresh_token grants, and the JWKS registries verify with.
/// </summary>
internal static class TokenEndpoints
{
    public const string RateLimitPolicy = "token";

    public static void MapTokenEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/token", GetAsync).RequireRateLimiting(RateLimitPolicy).WithBodyLimit(0).ExcludeFromDescription();
        app.MapPost("/token", PostAsync).RequireRateLimiting(RateLimitPolicy).WithBodyLimit(BodyLimits.TokenForm).DisableAntiforgery().ExcludeFromDescription();
        app.MapGet("/.well-known/jwks.json", (SigningKeys keys) => Results.Text(keys.JwksJson(), "application/json"))
            .WithBodyLimit(0).ExcludeFromDescription();
    }

    private static async Task<IResult> GetAsync(HttpContext context, IUserService accounts, AuditContext audit, ITokenService tokens, CancellationToken cancellationToken)
    {
        audit.Address = context.Connection.RemoteIpAddress?.ToString();
        var query = context.Request.Query;
        Principal? principal = null;
        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.Length > 0 && !BasicCredentials.TryRead(authorization, out _, out _))
        {
            // Credentials were meant but cannot be read: refuse rather than quietly treat the caller as anonymous.
            return Refused(context, AuthenticationResult.Fail(AuthenticationFailure.BadCredentials));
        }

        if (BasicCredentials.TryRead(authorization, out var user, out var secret))
        {
            var result = await accounts.AuthenticateAsync(user, secret, cancellationToken);
            if (result.Principal is null)
            {
                return Refused(context, result);
            }

            if (query["account"] is { Count: > 0 } account && account != user)
            {
                return TokenError(StatusCodes.Status400BadRequest, "invalid_request", "account does not match the credentials");
            }

            principal = result.Principal;
            AccessLog.NoteUser(context, principal.Name);
        }

        var scopes = ResourceScope.ParseAll(query["scope"]);
        var offline = string.Equals(query["offline_token"], "true", StringComparison.OrdinalIgnoreCase);
        var grant = await tokens.IssueAsync(principal, query["service"], scopes, offline, query["client_id"], cancellationToken);
        if (!grant.IsSuccess)
        {
            return Problem(grant.Error);
        }

        BerthMetrics.TokensIssued.Inc();
        return Results.Json(Response(grant.Value), ServerJson.Default.TokenResponse);
    }

    private static async Task<IResult> PostAsync(HttpContext context, IUserService accounts, AuditContext audit, ITokenService tokens, CancellationToken cancellationToken)
    {
        audit.Address = context.Connection.RemoteIpAddress?.ToString();
        if (!context.Request.HasFormContentType)
        {
            return TokenError(StatusCodes.Status400BadRequest, "invalid_request", "expected application/x-www-form-urlencoded");
        }

        var form = await context.Request.ReadFormAsync(cancellationToken);
        string? clientId = form["client_id"];
        if (string.IsNullOrEmpty(clientId))
        {
            return TokenError(StatusCodes.Status400BadRequest, "invalid_request", "client_id is required");
        }

        var scopes = ResourceScope.ParseAll(form["scope"]);
        string? service = form["service"];
        Outcome<TokenGrant> grant;
        switch (form["grant_type"].ToString())
        {
            case "password":
                var result = await accounts.AuthenticateAsync(form["username"].ToString(), form["password"].ToString(), cancellationToken);
                if (result.Principal is null)
                {
                    return Refused(context, result);
                }

                AccessLog.NoteUser(context, result.Principal.Name);
                var offline = form["access_type"] == "offline";
                grant = await tokens.IssueAsync(result.Principal, service, scopes, offline, clientId, cancellationToken);
                break;
            case "refresh_token":
                grant = await tokens.RefreshAsync(form["refresh_token"].ToString(), service, scopes, clientId, cancellationToken);
                break;
            default:
                return TokenError(StatusCodes.Status400BadRequest, "unsupported_grant_type", "grant_type must be password or refresh_token");
        }

        if (!grant.IsSuccess)
        {
            return grant.Error.Status == StatusCodes.Status401Unauthorized
                ? TokenError(StatusCodes.Status401Unauthorized, "invalid_grant", grant.Error.Detail ?? "invalid grant")
                : Problem(grant.Error);
        }

        BerthMetrics.TokensIssued.Inc();
        var response = Response(grant.Value) with { Scope = string.Join(' ', grant.Value.Granted.Select(s => s.ToString())) };
        return Results.Json(response, ServerJson.Default.TokenResponse);
    }

    private static TokenResponse Response(TokenGrant grant) => new(
        grant.Access.Token,
        grant.Access.Token,
        grant.Access.ExpiresIn,
        grant.Access.IssuedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
        grant.RefreshToken,
        null);

    private static IResult Refused(HttpContext context, AuthenticationResult result)
    {
        BerthMetrics.AuthFailures.WithLabels(result.Failure == AuthenticationFailure.Throttled ? "token-throttled" : "token-refused").Inc();
        if (result.Failure == AuthenticationFailure.Throttled)
        {
            var seconds = result.RetryAfterSeconds;
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return TokenError(StatusCodes.Status429TooManyRequests, "TOOMANYREQUESTS", $"too many failed logins from this address; retry in {seconds} s");
        }

        context.Response.Headers.WWWAuthenticate = "Basic realm=\"Berth\"";
        return TokenError(StatusCodes.Status401Unauthorized, "UNAUTHORIZED", "incorrect username or password");
    }

    /// <summary>Both shapes clients read: OAuth2's <c>error</c> and the registry's <c>errors</c> array.</summary>
    private static IResult TokenError(int status, string code, string message) =>
        Results.Json(new TokenErrorResponse(code, message, [new TokenErrorItem(code.ToUpperInvariant(), message)]), ServerJson.Default.TokenErrorResponse, statusCode: status);

    private static IResult Problem(IndexError error) => Results.Problem(error.Detail, statusCode: error.Status, title: error.Title);
}

internal sealed record TokenResponse(
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("expires_in")] int ExpiresIn,
    [property: JsonPropertyName("issued_at")] string IssuedAt,
    [property: JsonPropertyName("refresh_token"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RefreshToken,
    [property: JsonPropertyName("scope"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Scope);

internal sealed record TokenErrorItem(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message);

internal sealed record TokenErrorResponse(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("error_description")] string Description,
    [property: JsonPropertyName("errors")] IReadOnlyList<TokenErrorItem> Errors);
