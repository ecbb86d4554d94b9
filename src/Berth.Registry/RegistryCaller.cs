namespace Berth.Registry;

/// <summary>
/// Who is making the current <c>/v2</c> request, as the access check established it (null: anonymous, or no auth).
/// Set once per request after authorisation; the stores record it as the creator of a repository they create.
/// </summary>
public sealed class RegistryCaller
{
    public string? Subject { get; set; }
}
