using System.Globalization;
using Berth.Index;
using Berth.Index.Social;
using Berth.Oci;
using Berth.Web.Sessions;
using Berth.Web.Views;

namespace Berth.Web.Pages;

/// <summary>
/// The repository page's forms: <c>POST /r/{name}/-/star</c> (<c>action=star|unstar</c>), <c>POST /r/{name}/-/comments</c>
/// and <c>POST /r/{name}/-/comments/{id}/delete</c>; editing and previews are <see cref="CommentPages"/>. The star and comment services check visibility and authorship
/// (an invisible repository is the same 404 page as everywhere); the antiforgery check ran before.
/// </summary>
internal static class SocialPages
{
    public static async Task<IResult> PostAsync(HttpContext http, string path, IStarService stars, ICommentService comments, CancellationToken cancellationToken)
    {
        var split = path.IndexOf(RepositoryPages.Separator, StringComparison.Ordinal);
        if (split < 0 || !RepositoryName.IsValid(path[..split]))
        {
            return WebPage.NotFound(http);
        }

        var name = path[..split];
        var resource = path[(split + RepositoryPages.Separator.Length)..].Split('/');
        if (WebCaller.Of(http) is not { } caller)
        {
            // Signing in first; the form is sent again by hand (its token would not survive the sign-in anyway).
            return Results.Redirect("/login" + Format.Query(("return", Format.RepositoryUrl(name))));
        }

        var form = await http.Request.ReadFormAsync(cancellationToken);
        Outcome<bool> done;
        var anchor = "#comments";
        switch (resource)
        {
            case ["star"]:
                done = form["action"] == "unstar"
                    ? await stars.UnstarAsync(caller, name, cancellationToken)
                    : await stars.StarAsync(caller, name, cancellationToken);
                anchor = "";
                break;
            case ["comments"] when form["action"] == CommentPages.PreviewAction:
                return await CommentPages.PreviewNewAsync(http, name, form, cancellationToken);
            case ["comments", "preview"]:
                return await CommentPages.PreviewFragmentAsync(http, name, form, cancellationToken);
            case ["comments", var edited, "edit"]:
                return await CommentPages.EditAsync(http, name, edited, form, comments, cancellationToken);
            case ["comments"]:
                var created = await comments.CreateAsync(caller, name, (string?)form["body"] ?? "", cancellationToken);
                if (created.IsSuccess)
                {
                    done = true;
                }
                else
                {
                    done = created.Error!;
                }

                break;
            case ["comments", var id, "delete"] when long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var commentId):
                done = await comments.DeleteAsync(caller, name, commentId, cancellationToken);
                break;
            case ["settings", ..]:
                return await RepositorySettingsPages.PostAsync(http, caller, name, resource[1..], form, cancellationToken);
            default:
                return WebPage.NotFound(http);
        }

        if (!done.IsSuccess)
        {
            var error = done.Error!;
            return error.Status == StatusCodes.Status404NotFound
                ? WebPage.NotFound(http)
                : WebPage.Error(http, error.Status, error.Title, error.Detail ?? error.Title);
        }

        return Results.Redirect(Format.RepositoryUrl(name) + anchor);
    }
}
