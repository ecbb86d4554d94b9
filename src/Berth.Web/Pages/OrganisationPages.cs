using Berth.Data;
using Berth.Data.Entities;
using Berth.Index;
using Berth.Index.Accounts;
using Berth.Index.Organizations;
using Berth.Index.Permissions;
using Berth.Index.Repositories;
using Berth.Web.Sessions;
using Berth.Web.Views;
using Microsoft.EntityFrameworkCore;

namespace Berth.Web.Pages;

/// <summary>
/// <c>/orgs/new</c> (create an organisation) and <c>/u/{org}/-/settings</c> (members and roles, teams and their members,
/// team permissions on the organisation's repositories). The settings answer only the organisation's owners (and site
/// admins), as <see cref="IPermissionService.IsOrganizationOwnerAsync"/> decides; everyone else gets the same 404 as
/// an absent page. Every change goes through <see cref="IOrganizationService"/> or <see cref="ICollaboratorService"/>,
/// which check again, as for the REST API.
/// </summary>
internal static class OrganisationPages
{
    public const int RepositoryLimit = 100;

    public static IResult New(HttpContext http) =>
        WebCaller.Of(http) is null
            ? Results.Redirect("/login" + Format.Query(("return", "/orgs/new")))
            : WebPage.Render<OrganisationNewView, NewOrganisationModel>(http, new NewOrganisationModel("", null, false, null));

    public static async Task<IResult> CreateAsync(HttpContext http, IOrganizationService organizations, CancellationToken cancellationToken)
    {
        if (WebCaller.Of(http) is not { } caller)
        {
            return Results.Redirect("/login" + Format.Query(("return", "/orgs/new")));
        }

        var form = await http.Request.ReadFormAsync(cancellationToken);
        var name = ((string?)form["name"] ?? "").Trim();
        var description = ((string?)form["description"] ?? "").Trim();
        var membersCreate = form["members_create"] == "on";
        var created = await organizations.CreateAsync(caller, name, description.Length == 0 ? null : description, membersCreate, cancellationToken);
        if (!created.IsSuccess)
        {
            var model = new NewOrganisationModel(name.Length > 64 ? "" : name, description, membersCreate, created.Error.Detail ?? created.Error.Title);
            return WebPage.Render<OrganisationNewView, NewOrganisationModel>(http, model, created.Error.Status);
        }

        return Results.Redirect($"/u/{created.Value.Name}/-/settings");
    }

    public static async Task<IResult> SettingsAsync(HttpContext http, string name, CancellationToken cancellationToken) =>
        await RenderAsync(http, name, null, StatusCodes.Status200OK, cancellationToken);

    /// <summary><c>POST /u/{org}/-/settings/{action}</c>; the names acted on come in form fields.</summary>
    public static async Task<IResult> PostAsync(HttpContext http, string name, string action, IOrganizationService organizations, ICollaboratorService collaborators, CancellationToken cancellationToken)
    {
        var settings = $"/u/{name}/-/settings";
        if (WebCaller.Of(http) is not { } caller)
        {
            return Results.Redirect("/login" + Format.Query(("return", settings)));
        }

        if (!await IsOwnerAsync(http, caller, name, cancellationToken))
        {
            return WebPage.NotFound(http);
        }

        var form = await http.Request.ReadFormAsync(cancellationToken);
        string Field(string key) => ((string?)form[key] ?? "").Trim();
        Outcome<bool> done;
        string anchor;
        switch (action)
        {
            case "members":
                anchor = "#members";
                done = IndexWords.TryParseRole(Field("role"), out var role)
                    ? await organizations.SetMemberAsync(caller, name, Field("user"), role, cancellationToken)
                    : IndexError.Invalid("role must be member or owner");
                break;
            case "members/remove":
                anchor = "#members";
                done = await organizations.RemoveMemberAsync(caller, name, Field("user"), cancellationToken);
                break;
            case "teams":
                anchor = "#teams";
                var team = await organizations.CreateTeamAsync(caller, name, Field("team"), cancellationToken);
                done = team.IsSuccess ? true : team.Error;
                break;
            case "teams/members":
                anchor = "#teams";
                done = await organizations.AddTeamMemberAsync(caller, name, Field("team"), Field("user"), cancellationToken);
                break;
            case "teams/members/remove":
                anchor = "#teams";
                done = await organizations.RemoveTeamMemberAsync(caller, name, Field("team"), Field("user"), cancellationToken);
                break;
            case "permissions":
                anchor = "#permissions";
                done = !IsOwnRepository(name, Field("repository"))
                    ? IndexError.Invalid($"choose a repository of '{name}'")
                    : IndexWords.TryParseLevel(Field("level"), out var level)
                        ? await collaborators.SetTeamAsync(caller, Field("repository"), Field("team"), level, cancellationToken)
                        : IndexError.Invalid("permission must be read, write or admin");
                break;
            case "permissions/remove":
                anchor = "#permissions";
                done = IsOwnRepository(name, Field("repository"))
                    ? await collaborators.RemoveTeamAsync(caller, Field("repository"), Field("team"), cancellationToken)
                    : IndexError.Invalid($"choose a repository of '{name}'");
                break;
            default:
                return WebPage.NotFound(http);
        }

        return done.IsSuccess
            ? Results.Redirect(settings + anchor)
            : await RenderAsync(http, name, done.Error.Detail ?? done.Error.Title, done.Error.Status, cancellationToken);
    }

    /// <summary>The settings page, or the 404 page for anyone but an owner (an absent organisation looks the same).</summary>
    private static async Task<IResult> RenderAsync(HttpContext http, string name, string? error, int status, CancellationToken cancellationToken)
    {
        var services = http.RequestServices;
        if (WebCaller.Of(http) is not { } caller || !await IsOwnerAsync(http, caller, name, cancellationToken))
        {
            return WebPage.NotFound(http);
        }

        var organization = await services.GetRequiredService<IOrganizationService>().GetAsync(caller, name, cancellationToken);
        if (!organization.IsSuccess)
        {
            return WebPage.NotFound(http);
        }

        var repositories = await services.GetRequiredService<IRepositoryService>()
            .ListAsync(caller, name, PageRequest.Create(1, RepositoryLimit).Value, cancellationToken);
        var collaborators = services.GetRequiredService<ICollaboratorService>();
        var grants = new List<TeamGrant>();
        foreach (var repository in repositories)
        {
            var listed = await collaborators.ListAsync(caller, repository.Name, PageRequest.Create(1, PageRequest.MaxSize).Value, cancellationToken);
            if (listed.IsSuccess)
            {
                grants.AddRange(listed.Value.Where(g => g.Team is not null).Select(g => new TeamGrant(repository.Name, g.Team!, g.Level)));
            }
        }

        var model = new OrganisationSettingsModel(organization.Value, repositories.Select(r => r.Name).ToList(), grants, error);
        return WebPage.Render<OrganisationSettingsView, OrganisationSettingsModel>(http, model, status);
    }

    /// <summary>The permission service decides; only the organisation's id is looked up here.</summary>
    private static async Task<bool> IsOwnerAsync(HttpContext http, Principal caller, string name, CancellationToken cancellationToken)
    {
        if (!AccountNames.IsValid(name))
        {
            return false;
        }

        var services = http.RequestServices;
        var id = await services.GetRequiredService<BerthDbContext>().Organizations
            .Where(o => o.Name == name).Select(o => (long?)o.Id).FirstOrDefaultAsync(cancellationToken);
        return id is { } organizationId && await services.GetRequiredService<IPermissionService>().IsOrganizationOwnerAsync(caller, organizationId, cancellationToken);
    }

    private static bool IsOwnRepository(string organization, string repository) =>
        repository.StartsWith(organization + "/", StringComparison.Ordinal);
}
