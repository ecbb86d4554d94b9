using Berth.Index;
using Berth.Index.Accounts;
using Berth.Index.Audit;
using Berth.Web.Sessions;
using Berth.Web.Views;

namespace Berth.Web.Pages;

/// <summary>
/// <c>/admin/users</c> and <c>/admin/audit</c>, for site administrators only. Everyone else, signed in or not, gets
/// the one not-found page at every <c>/admin</c> URL, so the pages' existence is not even confirmed. The services
/// check the administrator again (<see cref="IAccountDirectory"/>, <see cref="IAuditLog"/>, <see cref="IUserService"/>).
/// </summary>
internal static class AdminPages
{
    public const int PageSize = 50;

    public static async Task<IResult> UsersAsync(HttpContext http, string? page, string? done, IAccountDirectory directory, CancellationToken cancellationToken) =>
        WebCaller.Of(http) is not { ActsAsAdmin: true } caller
            ? WebPage.NotFound(http)
            : await RenderUsersAsync(http, caller, directory, BrowsePages.ParsePage(page), done == "created" ? "The account is created." : null, null, AccountDraft.Empty, StatusCodes.Status200OK, cancellationToken);

    /// <summary>Creates an account, as <c>POST /api/v1/users</c> does for an administrator (who alone may create administrators).</summary>
    public static async Task<IResult> CreateAccountAsync(HttpContext http, IUserService users, IAccountDirectory directory, CancellationToken cancellationToken)
    {
        if (WebCaller.Of(http) is not { ActsAsAdmin: true } caller)
        {
            return WebPage.NotFound(http);
        }

        var form = await http.Request.ReadFormAsync(cancellationToken);
        var account = NewAccountForm.Read(form);
        var draft = new AccountDraft(account.ShownName, account.ShownEmail, form["admin"] == "on");
        if (account.Password.Length > 1024 || account.Password != account.Confirm)
        {
            return await RenderUsersAsync(http, caller, directory, 1, null, "The passwords do not match.", draft, StatusCodes.Status400BadRequest, cancellationToken);
        }

        var created = await users.CreateAsync(caller, account.Name, account.Password, account.Email, draft.IsAdmin, cancellationToken);
        if (!created.IsSuccess)
        {
            var error = created.Error!;
            return await RenderUsersAsync(http, caller, directory, 1, null, error.Detail ?? error.Title, draft, error.Status, cancellationToken);
        }

        return Results.Redirect("/admin/users?done=created");
    }

    public static async Task<IResult> AuditAsync(HttpContext http, string? page, IAuditLog audit, CancellationToken cancellationToken)
    {
        var number = BrowsePages.ParsePage(page);
        var request = PageRequest.Create(number, PageSize);
        if (WebCaller.Of(http) is not { ActsAsAdmin: true } caller || !request.IsSuccess)
        {
            return WebPage.NotFound(http);
        }

        var entries = await audit.ListAsync(caller, request.Value, cancellationToken);
        if (!entries.IsSuccess || (entries.Value!.Count == 0 && number > 1))
        {
            return WebPage.NotFound(http);
        }

        return WebPage.Render<AdminAuditView, AdminAuditModel>(http, new AdminAuditModel(entries.Value, number, entries.Value.Count == PageSize));
    }

    /// <summary>Any other <c>/admin</c> URL: the same page a non-administrator gets for the real ones.</summary>
    public static IResult Absent(HttpContext http) => WebPage.NotFound(http);

    private static async Task<IResult> RenderUsersAsync(
        HttpContext http, Principal caller, IAccountDirectory directory, int page, string? notice, string? error, AccountDraft draft, int status, CancellationToken cancellationToken)
    {
        var request = PageRequest.Create(page, PageSize);
        if (!request.IsSuccess)
        {
            return WebPage.NotFound(http);
        }

        var listed = await directory.ListAsync(caller, request.Value, cancellationToken);
        if (!listed.IsSuccess)
        {
            return WebPage.NotFound(http);
        }

        var pageCount = Math.Max(1, (listed.Value!.Total + PageSize - 1) / PageSize);
        return page > pageCount
            ? WebPage.NotFound(http)
            : WebPage.Render<AdminUsersView, AdminUsersModel>(http, new AdminUsersModel(listed.Value, page, pageCount, notice, error, draft), status);
    }
}
