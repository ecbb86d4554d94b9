namespace Berth.Index.Permissions;

/// <summary>
/// The registry actions a caller may perform on a repository name. <see cref="CreatesRepository"/>: the name does
/// not exist and <c>push</c> is the right to create it, which the registry honours only while the repository is
/// absent or was created by that caller.
/// </summary>
public sealed record AllowedActions(IReadOnlyList<string> Actions, bool CreatesRepository)
{
    public static AllowedActions None { get; } = new([], false);
}
