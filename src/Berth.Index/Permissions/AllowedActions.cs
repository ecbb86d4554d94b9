namespace Berth.Index.Permissions;

/// <summary>
/// The registry actions a caller may perform on a repository name. <see cref="CreatesRepository"/>: the name does
/// not exist and the caller may create it; <see cref="Actions"/> then holds at most <c>push</c> (the right to create
/// it), and the registry honours that push, and pulls, only while the repository is absent or was created by that
/// caller. Pull and delete on an absent name grant nothing of their own.
/// </summary>
public sealed record AllowedActions(IReadOnlyList<string> Actions, bool CreatesRepository)
{
    public static AllowedActions None { get; } = new([], false);
}
