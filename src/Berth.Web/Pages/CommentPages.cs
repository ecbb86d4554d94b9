using System.Globalization;
using Berth.Index;
using Berth.Index.Repositories;
using Berth.Index.Social;
using Berth.Web.Content;
using Berth.Web.Sessions;
using Berth.Web.Views;

namespace Berth.Web.Pages;

/// <summary>
/// Writing and editing comments beyond the repository page's one form: <c>GET|POST /r/{name}/-/comments/{id}/edit</c>
/// (<c>action=save|preview</c>), <c>POST /r/{name}/-/comments</c> with <c>action=preview</c> (the new comment's
/// preview, without script), and <c>POST /r/{name}/-/comments/preview</c> (the preview as an HTML fragment, for the
/// script's in-place preview). Who may edit is <see cref="ICommentService"/>'s answer, as for the API's PATCH.
/// </summary>
internal static class CommentPages
{
    public const string PreviewAction = "preview";

    /// <summary>The edit form; signed out, sign in first and come back.</summary>
    public static async Task<IResult> EditFormAsync(HttpContext http, string repository, string id, ICommentService comments, CancellationToken cancellationToken)
    {
        if (!TryParseId(id, out var commentId))
        {
            return WebPage.NotFound(http);
        }

        if (WebCaller.Of(http) is not { } caller)
        {
            return Results.Redirect("/login" + Format.Query(("return", EditUrl(repository, commentId))));
        }

        var found = await comments.GetEditableAsync(caller, repository, commentId, cancellationToken);
        return found.IsSuccess
            ? Form(http, new CommentFormModel(repository, commentId, found.Value.Body, null, null))
            : Failure(http, found.Error);
    }

    /// <summary>Saves an edit, or shows it previewed with the text kept (<c>action=preview</c>); nothing is saved then.</summary>
    public static async Task<IResult> EditAsync(HttpContext http, string repository, string id, IFormCollection form, ICommentService comments, CancellationToken cancellationToken)
    {
        var caller = WebCaller.Of(http)!;
        if (!TryParseId(id, out var commentId))
        {
            return WebPage.NotFound(http);
        }

        var body = Body(form);
        if (form["action"] == PreviewAction)
        {
            var editable = await comments.GetEditableAsync(caller, repository, commentId, cancellationToken);
            return editable.IsSuccess
                ? Form(http, new CommentFormModel(repository, commentId, body, Preview(body), null))
                : Failure(http, editable.Error);
        }

        var updated = await comments.UpdateAsync(caller, repository, commentId, body, cancellationToken);
        if (updated.IsSuccess)
        {
            return Results.Redirect($"{Format.RepositoryUrl(repository)}#comment-{commentId}");
        }

        return updated.Error.Status == StatusCodes.Status400BadRequest
            ? Form(http, new CommentFormModel(repository, commentId, body, null, updated.Error.Detail ?? updated.Error.Title), StatusCodes.Status400BadRequest)
            : Failure(http, updated.Error);
    }

    /// <summary>A new comment previewed, on a page of its own with the form (the repository page's Preview, without script).</summary>
    public static async Task<IResult> PreviewNewAsync(HttpContext http, string repository, IFormCollection form, CancellationToken cancellationToken)
    {
        if (!(await Repositories(http).GetAsync(WebCaller.Of(http), repository, cancellationToken)).IsSuccess)
        {
            return WebPage.NotFound(http);
        }

        var body = Body(form);
        return Form(http, new CommentFormModel(repository, null, body, Preview(body), null));
    }

    /// <summary>The preview alone, for the script: the same HTML the page would show, as a fragment.</summary>
    public static async Task<IResult> PreviewFragmentAsync(HttpContext http, string repository, IFormCollection form, CancellationToken cancellationToken)
    {
        if (!(await Repositories(http).GetAsync(WebCaller.Of(http), repository, cancellationToken)).IsSuccess)
        {
            return WebPage.NotFound(http);
        }

        return Results.Content(Preview(Body(form)), "text/html; charset=utf-8");
    }

    public static string EditUrl(string repository, long id) => $"{Format.RepositoryUrl(repository)}/-/comments/{id.ToString(CultureInfo.InvariantCulture)}/edit";

    /// <summary>Rendered and sanitised as descriptions and shown comments are (raw HTML stays text); "" for nothing to show.</summary>
    private static string Preview(string body) =>
        string.IsNullOrWhiteSpace(body) ? "" : Descriptions.ToHtml(body.Length > ICommentService.MaxBodyLength ? body[..ICommentService.MaxBodyLength] : body);

    private static string Body(IFormCollection form) => (string?)form["body"] ?? "";

    /// <summary>Only the previews need it: asked for here, so the shared form handler's signature stays as it is.</summary>
    private static IRepositoryService Repositories(HttpContext http) => http.RequestServices.GetRequiredService<IRepositoryService>();

    private static bool TryParseId(string id, out long commentId) => long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out commentId);

    private static IResult Form(HttpContext http, CommentFormModel model, int status = StatusCodes.Status200OK) =>
        WebPage.Render<CommentFormView, CommentFormModel>(http, model, status);

    private static IResult Failure(HttpContext http, IndexError error) =>
        error.Status == StatusCodes.Status404NotFound
            ? WebPage.NotFound(http)
            : WebPage.Error(http, error.Status, error.Title, error.Detail ?? error.Title);
}

/// <param name="Id">The comment edited; null for a new one.</param>
/// <param name="PreviewHtml">The body rendered, when a preview was asked for ("" for an empty body).</param>
public sealed record CommentFormModel(string Repository, long? Id, string Body, string? PreviewHtml, string? Error)
{
    public string Action => Id is { } id ? CommentPages.EditUrl(Repository, id) : $"{Format.RepositoryUrl(Repository)}/-/comments";

    public string PreviewUrl => $"{Format.RepositoryUrl(Repository)}/-/comments/preview";

    public string BackUrl => Id is { } id ? $"{Format.RepositoryUrl(Repository)}#comment-{id.ToString(CultureInfo.InvariantCulture)}" : $"{Format.RepositoryUrl(Repository)}#comments";
}
