using System.Net.Http.Headers;
using System.Text;
using Berth.Index.Accounts;
using Berth.Index.Audit;

namespace Berth.Server.Api;

/// <summary>
/// Who is calling the REST API: HTTP Basic with a user name and a password or personal access token, or
/// <c>Bearer</c> with a personal access token. No credentials is anonymous; wrong ones are a 401 (never silently
/// anonymous), and a source the login throttle holds back is a 429 with <c>Retry-After</c>.
/// </summary>
internal static class ApiAuthentication
{
    public const string Challenge = "Basic realm=\"Berth\"";

    private static readonly object PrincipalKey = new();

    /// <summary>Endpoints carrying this metadata answer anonymous callers 401 with a challenge.</summary>
    private sealed class LoginRequired
    {
        public static readonly LoginRequired Instance = new();
    }

    public static TBuilder RequireLogin<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(LoginRequired.Instance);

    /// <summary>
    /// Endpoints carrying this metadata also take <c>Bearer</c> with a registry token this index issued (what
    /// <c>docker search</c> sends once logged in): it identifies its subject, with read access only.
    /// </summary>
    private sealed class RegistryTokenAccepted
    {
        public static readonly RegistryTokenAccepted Instance = new();
    }

    public static TBuilder AcceptRegistryToken<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(RegistryTokenAccepted.Instance);

    /// <summary>The authenticated caller, or null for anonymous.</summary>
    public static Principal? Caller(this HttpContext http) => http.Items[PrincipalKey] as Principal;

    /// <summary>The caller of an endpoint marked <see cref="RequireLogin{TBuilder}"/>.</summary>
    public static Principal User(this HttpContext http) =>
        http.Caller() ?? throw new InvalidOperationException($"{http.Request.Path} reads the caller but is not marked RequireLogin");

    public static async ValueTask<object?> FilterAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var services = http.RequestServices;
        services.GetRequiredService<AuditContext>().Address = http.Connection.RemoteIpAddress?.ToString();

        string? header = http.Request.Headers.Authorization;
        if (!string.IsNullOrEmpty(header))
        {
            var users = services.GetRequiredService<IUserService>();
            AuthenticationResult result;
            if (TryParse(header, out var scheme, out var user, out var secret))
            {
                result = scheme == "Basic" ? await users.AuthenticateAsync(user, secret, http.RequestAborted)
                    : !secret.StartsWith(Secrets.PersonalAccessTokenPrefix, StringComparison.Ordinal) && http.GetEndpoint()?.Metadata.GetMetadata<RegistryTokenAccepted>() is not null
                        ? await users.AuthenticateRegistryTokenAsync(secret, http.RequestAborted)
                        : await users.AuthenticateTokenAsync(secret, http.RequestAborted);
            }
            else
            {
                result = AuthenticationResult.Fail(AuthenticationFailure.BadCredentials);
            }

            if (result.Principal is null)
            {
                return Refuse(http, result);
            }

            http.Items[PrincipalKey] = result.Principal;
            Berth.Server.Hosting.AccessLog.NoteUser(http, result.Principal.Name);
        }
        else if (http.GetEndpoint()?.Metadata.GetMetadata<LoginRequired>() is not null)
        {
            http.Response.Headers.WWWAuthenticate = Challenge;
            return ApiResults.Problem(StatusCodes.Status401Unauthorized, "Unauthorized", "this needs a signed-in user (Basic, or Bearer with a personal access token)");
        }

        return await next(context);
    }

    private static IResult Refuse(HttpContext http, AuthenticationResult result)
    {
        if (result.Failure == AuthenticationFailure.Throttled)
        {
            var seconds = result.RetryAfterSeconds;
            http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return ApiResults.Problem(StatusCodes.Status429TooManyRequests, "Too Many Requests", $"too many failed logins from this address; retry in {seconds} s");
        }

        http.Response.Headers.WWWAuthenticate = Challenge;
        return ApiResults.Problem(StatusCodes.Status401Unauthorized, "Unauthorized", "incorrect username, password or token");
    }

    /// <summary><c>Basic base64(user:secret)</c> or <c>Bearer secret</c>.</summary>
    internal static bool TryParse(string header, out string scheme, out string user, out string secret)
    {
        scheme = user = secret = "";
        if (!AuthenticationHeaderValue.TryParse(header, out var value) || value.Parameter is not { Length: > 0 and <= 4096 } parameter)
        {
            return false;
        }

        if (string.Equals(value.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase))
        {
            scheme = "Bearer";
            secret = parameter;
            return true;
        }

        if (!string.Equals(value.Scheme, "Basic", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string text;
        try
        {
            text = Encoding.UTF8.GetString(Convert.FromBase64String(parameter));
        }
        catch (FormatException)
        {
            return false;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        scheme = "Basic";
        user = text[..colon];
        secret = text[(colon + 1)..];
        return true;
    }
}
