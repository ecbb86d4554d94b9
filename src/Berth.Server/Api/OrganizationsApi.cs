using Berth.Index;
using Berth.Index.Organizations;

namespace Berth.Server.Api;

/// <summary><c>/api/v1/orgs</c>: organisations, their members and teams.</summary>
internal static class OrganizationsApi
{
    public static void MapOrganizationsApi(this RouteGroupBuilder api)
    {
        var orgs = api.MapGroup("/orgs").WithTags("Organisations");
        orgs.MapPost("", CreateAsync).RequireLogin()
            .Accepts<CreateOrganizationRequest>(ApiResults.Json).Produces<Organization>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Create an organisation; the caller becomes its owner");
        orgs.MapGet("/{org}", GetAsync)
            .Produces<Organization>().ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("An organisation (members and teams only for its members)");
        orgs.MapPut("/{org}/members/{user}", SetMemberAsync).RequireLogin()
            .Accepts<SetMemberRequest>(ApiResults.Json).Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Add a member or change their role (owners)");
        orgs.MapDelete("/{org}/members/{user}", RemoveMemberAsync).RequireLogin()
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Remove a member from the organisation and its teams (owners)");
        orgs.MapPost("/{org}/teams", CreateTeamAsync).RequireLogin()
            .Accepts<CreateTeamRequest>(ApiResults.Json).Produces<Team>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Create a team (owners)");
        orgs.MapPut("/{org}/teams/{team}/members/{user}", AddTeamMemberAsync).RequireLogin()
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Add a user to a team, and to the organisation if needed (owners)");
        orgs.MapDelete("/{org}/teams/{team}/members/{user}", RemoveTeamMemberAsync).RequireLogin()
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Remove a user from a team (owners)");
    }

    private static async Task<IResult> CreateAsync(HttpContext http, IOrganizationService organizations, CancellationToken cancellationToken)
    {
        var body = await ApiResults.ReadAsync(http, ApiJson.Default.CreateOrganizationRequest, cancellationToken);
        if (!body.IsSuccess)
        {
            return ApiResults.Problem(body.Error);
        }

        var request = body.Value;
        var created = await organizations.CreateAsync(http.User(), request.Name, request.Description, request.MembersCanCreateRepositories == true, cancellationToken);
        return created.IsSuccess
            ? ApiResults.Created(http, $"/api/v1/orgs/{created.Value.Name}", ApiMapping.ToOrganization(created.Value), ApiJson.Default.Organization)
            : ApiResults.Problem(created.Error);
    }

    private static async Task<IResult> GetAsync(string org, HttpContext http, IOrganizationService organizations, CancellationToken cancellationToken) =>
        ApiResults.From(await organizations.GetAsync(http.Caller(), org, cancellationToken), ApiMapping.ToOrganization, ApiJson.Default.Organization);

    private static async Task<IResult> SetMemberAsync(string org, string user, HttpContext http, IOrganizationService organizations, CancellationToken cancellationToken)
    {
        var body = await ApiResults.ReadAsync(http, ApiJson.Default.SetMemberRequest, cancellationToken);
        if (!body.IsSuccess)
        {
            return ApiResults.Problem(body.Error);
        }

        if (!IndexWords.TryParseRole(body.Value.Role, out var role))
        {
            return ApiResults.Problem(IndexError.Invalid("role must be member or owner"));
        }

        return ApiResults.NoContent(await organizations.SetMemberAsync(http.User(), org, user, role, cancellationToken));
    }

    private static async Task<IResult> RemoveMemberAsync(string org, string user, HttpContext http, IOrganizationService organizations, CancellationToken cancellationToken) =>
        ApiResults.NoContent(await organizations.RemoveMemberAsync(http.User(), org, user, cancellationToken));

    private static async Task<IResult> CreateTeamAsync(string org, HttpContext http, IOrganizationService organizations, CancellationToken cancellationToken)
    {
        var body = await ApiResults.ReadAsync(http, ApiJson.Default.CreateTeamRequest, cancellationToken);
        if (!body.IsSuccess)
        {
            return ApiResults.Problem(body.Error);
        }

        var created = await organizations.CreateTeamAsync(http.User(), org, body.Value.Name, cancellationToken);
        return created.IsSuccess
            ? ApiResults.Created(http, $"/api/v1/orgs/{org}", new Team(created.Value.Name, created.Value.Members), ApiJson.Default.Team)
            : ApiResults.Problem(created.Error);
    }

    private static async Task<IResult> AddTeamMemberAsync(string org, string team, string user, HttpContext http, IOrganizationService organizations, CancellationToken cancellationToken) =>
        ApiResults.NoContent(await organizations.AddTeamMemberAsync(http.User(), org, team, user, cancellationToken));

    private static async Task<IResult> RemoveTeamMemberAsync(string org, string team, string user, HttpContext http, IOrganizationService organizations, CancellationToken cancellationToken) =>
        ApiResults.NoContent(await organizations.RemoveTeamMemberAsync(http.User(), org, team, user, cancellationToken));
}
