using Berth.Index;
using Berth.Index.Accounts;
using Berth.Index.Social;

namespace Berth.Server.Api;

/// <summary><c>/api/v1/users</c> and <c>/api/v1/user</c>: sign-up, the caller's account, password and access tokens.</summary>
internal static class AccountsApi
{
    public const string SignupRateLimitPolicy = "signup";

    public static void MapAccountsApi(this RouteGroupBuilder api)
    {
        var accounts = api.WithTags("Accounts");
        accounts.MapPost("/users", CreateAsync)
            .RequireRateLimiting(SignupRateLimitPolicy)
            .Accepts<CreateUserRequest>(ApiResults.Json).Produces<Account>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Create an account (anyone while sign-up is enabled, else administrators)");
        accounts.MapGet("/users/{name}", GetPublicAsync)
            .Produces<PublicAccount>().ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("What anyone may know about an account");
        accounts.MapGet("/user", GetOwnAsync).RequireLogin()
            .Produces<Account>().WithSummary("The caller's account");
        accounts.MapPut("/user/password", ChangePasswordAsync).RequireLogin()
            .Accepts<ChangePasswordRequest>(ApiResults.Json).Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("Change the caller's password (password login only)");
        accounts.MapPost("/user/tokens", CreateTokenAsync).RequireLogin()
            .Accepts<CreateTokenRequest>(ApiResults.Json).Produces<CreatedAccessToken>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("Create a personal access token (password login only); its secret is shown in this response only");
        accounts.MapGet("/user/tokens", ListTokensAsync).RequireLogin()
            .Paged().Produces<List<AccessToken>>().WithSummary("The caller's personal access tokens and usable refresh tokens (negative ids)");
        accounts.MapDelete("/user/tokens/{id:long}", RevokeTokenAsync).RequireLogin()
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Revoke one of the caller's personal access tokens (positive id) or refresh tokens (negative id)");
        accounts.MapGet("/user/starred", StarredAsync).RequireLogin()
            .Paged().Produces<List<RepositorySummary>>().WithSummary("Repositories the caller starred");
    }

    private static async Task<IResult> CreateAsync(HttpContext http, IUserService users, CancellationToken cancellationToken)
    {
        var body = await ApiResults.ReadAsync(http, ApiJson.Default.CreateUserRequest, cancellationToken);
        if (!body.IsSuccess)
        {
            return ApiResults.Problem(body.Error);
        }

        var request = body.Value;
        var created = await users.CreateAsync(http.Caller(), request.Name, request.Password, request.Email, request.IsAdmin == true, cancellationToken);
        return created.IsSuccess
            ? ApiResults.Created(http, $"/api/v1/users/{created.Value.Name}", ToAccount(created.Value), ApiJson.Default.Account)
            : ApiResults.Problem(created.Error);
    }

    private static async Task<IResult> GetPublicAsync(string name, IUserService users, CancellationToken cancellationToken) =>
        ApiResults.From(await users.GetPublicAsync(name, cancellationToken), a => new PublicAccount(a.Name, a.CreatedAt), ApiJson.Default.PublicAccount);

    private static async Task<IResult> GetOwnAsync(HttpContext http, IUserService users, CancellationToken cancellationToken) =>
        ApiResults.From(await users.GetOwnAsync(http.User(), cancellationToken), ToAccount, ApiJson.Default.Account);

    private static async Task<IResult> ChangePasswordAsync(HttpContext http, IUserService users, CancellationToken cancellationToken)
    {
        var body = await ApiResults.ReadAsync(http, ApiJson.Default.ChangePasswordRequest, cancellationToken);
        return body.IsSuccess
            ? ApiResults.NoContent(await users.ChangePasswordAsync(http.User(), body.Value.CurrentPassword, body.Value.NewPassword, cancellationToken))
            : ApiResults.Problem(body.Error);
    }

    private static async Task<IResult> CreateTokenAsync(HttpContext http, IUserService users, CancellationToken cancellationToken)
    {
        var body = await ApiResults.ReadAsync(http, ApiJson.Default.CreateTokenRequest, cancellationToken);
        if (!body.IsSuccess)
        {
            return ApiResults.Problem(body.Error);
        }

        var request = body.Value;
        if (!IndexWords.TryParseScopes(request.Scopes, out var scopes))
        {
            return ApiResults.Problem(Berth.Index.IndexError.Invalid("scopes is a non-empty list of read, write, delete and admin"));
        }

        var created = await users.CreateTokenAsync(http.User(), request.Name, scopes, request.ExpiresAt?.ToUniversalTime(), cancellationToken);
        if (!created.IsSuccess)
        {
            return ApiResults.Problem(created.Error);
        }

        var (token, secret) = created.Value;
        var view = ApiMapping.ToAccessToken(token);
        return ApiResults.Created(http, "/api/v1/user/tokens",
            new CreatedAccessToken(view.Id, view.Name, view.Scopes, view.Prefix, view.CreatedAt, view.ExpiresAt, secret), ApiJson.Default.CreatedAccessToken);
    }

    private static async Task<IResult> ListTokensAsync(HttpContext http, IUserService users, CancellationToken cancellationToken)
    {
        var page = ApiResults.Page(http);
        if (!page.IsSuccess)
        {
            return ApiResults.Problem(page.Error);
        }

        var tokens = await users.ListTokensAsync(http.User(), page.Value, cancellationToken);
        return ApiResults.Ok(tokens.Select(ToAccessToken).ToList(), ApiJson.Default.ListAccessToken);
    }

    private static async Task<IResult> RevokeTokenAsync(long id, HttpContext http, IUserService users, CancellationToken cancellationToken) =>
        ApiResults.NoContent(await users.RevokeTokenAsync(http.User(), id, cancellationToken));

    private static async Task<IResult> StarredAsync(HttpContext http, IStarService stars, CancellationToken cancellationToken)
    {
        var page = ApiResults.Page(http);
        if (!page.IsSuccess)
        {
            return ApiResults.Problem(page.Error);
        }

        var starred = await stars.ListStarredAsync(http.User(), page.Value, cancellationToken);
        return ApiResults.Ok(ApiMapping.ToSummaries(starred), ApiJson.Default.ListRepositorySummary);
    }

    private static AccessToken ToAccessToken(AccessTokenInfo t) => new(
        t.Id,
        t.Name,
        IndexWords.Words(t.Scopes),
        t.Prefix,
        ApiMapping.Utc(t.CreatedAt),
        ApiMapping.Utc(t.ExpiresAt),
        ApiMapping.Utc(t.LastUsedAt),
        ApiMapping.Utc(t.RevokedAt),
        t.Kind == AccessTokenKind.RefreshToken ? AccessToken.RefreshKind : AccessToken.PersonalKind,
        t.ClientId);

    private static Account ToAccount(AccountInfo a) => new(a.Name, a.Email, a.IsAdmin, a.CreatedAt);
}
