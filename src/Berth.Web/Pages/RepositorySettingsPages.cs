using Berth.Data.Entities;
using Berth.Index;
using Berth.Index.Accounts;
using Berth.Index.Organizations;
using Berth.Index.Repositories;
using Berth.Oci;
using Berth.Web.Sessions;
using Berth.Web.Views;
using Microsoft.AspNetCore.Http;

namespace Berth.Web.Pages;

/// <summary>
/// <c>/r/{name}/-/settings</c>: visibility, description, collaborators (users, and teams of the owning organisation),
/// deletion with the name typed in full. Only the repository's admins see it (the level <see cref="IRepositoryService.GetAsync"/>
/// reports, decided by the permission service); everyone else gets the page of an absent repository. The services check
/// again on every change, as for the REST API.
/// </summary>
internal static class RepositorySettingsPages
{
    public const int CollaboratorLimit = PageRequest.MaxSize;
    public const string Suffix = "/-/settings";

    /// <summary><c>GET /r/{name}/-/settings</c> (the route only matches paths ending so).</summary>
    public static async Task<IResult> ShowAsync(HttpContext http, string path, CancellationToken cancellationToken)
    {
        var name = path.EndsWith(Suffix, StringComparison.Ordinal) ? path[..^Suffix.Length] : "";
        return await RenderAsync(http, name, null, null, StatusCodes.Status200OK, cancellationToken);
    }

    /// <summary><c>POST /r/{name}/-/settings/{action}</c>, handed over by <see cref="SocialPages"/> with the form it read.</summary>
    public static async Task<IResult> PostAsync(HttpContext http, Principal caller, string name, string[] action, IFormCollection form, CancellationToken cancellationToken)
    {
        var services = http.RequestServices;
        var repositories = services.GetRequiredService<IRepositoryService>();
        var collaborators = services.GetRequiredService<ICollaboratorService>();
        var details = await repositories.GetAsync(caller, name, cancellationToken);
        if (!details.IsSuccess || details.Value.Permission < AccessLevel.Admin)
        {
            return WebPage.NotFound(http);
        }

        string Field(string key) => ((string?)form[key] ?? "").Trim();
        var settings = $"/r/{name}{Suffix}";
        string? description = null;
        Outcome<bool> done;
        string anchor;
        switch (action)
        {
            case ["visibility"]:
                anchor = "#visibility";
                done = IndexWords.TryParseVisibility(Field("visibility"), out var visibility)
                    ? Done(await repositories.UpdateAsync(caller, name, visibility, null, cancellationToken))
                    : IndexError.Invalid("visibility must be public or private");
                break;
            case ["description"]:
                anchor = "#description";
                // Line breaks as typed, whatever the browser sent (CRLF from a textarea); no trimming of the Markdown.
                description = ((string?)form["description"] ?? "").Replace("\r\n", "\n", StringComparison.Ordinal);
                done = Done(await repositories.UpdateAsync(caller, name, null, description, cancellationToken));
                break;
            case ["collaborators"]:
                anchor = "#collaborators";
                done = IndexWords.TryParseLevel(Field("level"), out var level)
                    ? await collaborators.SetUserAsync(caller, name, Field("user"), level, cancellationToken)
                    : IndexError.Invalid("permission must be read, write or admin");
                break;
            case ["collaborators", "remove"]:
                anchor = "#collaborators";
                done = await collaborators.RemoveUserAsync(caller, name, Field("user"), cancellationToken);
                break;
            case ["teams"]:
                anchor = "#collaborators";
                done = IndexWords.TryParseLevel(Field("level"), out var teamLevel)
                    ? await collaborators.SetTeamAsync(caller, name, Field("team"), teamLevel, cancellationToken)
                    : IndexError.Invalid("permission must be read, write or admin");
                break;
            case ["teams", "remove"]:
                anchor = "#collaborators";
                done = await collaborators.RemoveTeamAsync(caller, name, Field("team"), cancellationToken);
                break;
            case ["delete"]:
                // The whole name, exactly: a slip of the finger on a list of repositories deletes nothing.
                if ((string?)form["confirm"] != name)
                {
                    return await RenderAsync(http, name, "Type the repository's full name to delete it. Nothing was deleted.", null, StatusCodes.Status400BadRequest, cancellationToken);
                }

                var deleted = await repositories.DeleteAsync(caller, name, cancellationToken);
                if (deleted.IsSuccess)
                {
                    return Results.Redirect($"/u/{details.Value.Summary.Namespace}");
                }

                done = deleted.Error;
                anchor = "";
                break;
            default:
                return WebPage.NotFound(http);
        }

        return done.IsSuccess
            ? Results.Redirect(settings + anchor)
            : await RenderAsync(http, name, done.Error.Detail ?? done.Error.Title, description, done.Error.Status, cancellationToken);
    }

    private static Outcome<bool> Done(Outcome<RepositoryDetails> updated) => updated.IsSuccess ? true : updated.Error;

    private static async Task<IResult> RenderAsync(HttpContext http, string name, string? error, string? description, int status, CancellationToken cancellationToken)
    {
        if (WebCaller.Of(http) is not { } caller || !RepositoryName.IsValid(name))
        {
            return WebPage.NotFound(http);
        }

        var services = http.RequestServices;
        var details = await services.GetRequiredService<IRepositoryService>().GetAsync(caller, name, cancellationToken);
        if (!details.IsSuccess || details.Value.Permission < AccessLevel.Admin)
        {
            return WebPage.NotFound(http);
        }

        var listed = await services.GetRequiredService<ICollaboratorService>().ListAsync(caller, name, PageRequest.Create(1, CollaboratorLimit).Value, cancellationToken);
        var organization = await services.GetRequiredService<IOrganizationService>().GetAsync(caller, details.Value.Summary.Namespace, cancellationToken);
        IReadOnlyList<string>? teams = organization.IsSuccess ? (organization.Value.Teams ?? []).Select(t => t.Name).ToList() : null;
        var model = new RepositorySettingsModel(
            details.Value,
            listed.IsSuccess ? listed.Value : [],
            teams,
            error,
            description ?? details.Value.Summary.Description ?? "");
        return WebPage.Render<RepositorySettingsView, RepositorySettingsModel>(http, model, status);
    }
}
