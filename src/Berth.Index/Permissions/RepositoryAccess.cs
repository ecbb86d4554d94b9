using Berth.Data.Entities;

namespace Berth.Index.Permissions;

/// <summary>What one caller may do with one repository name, whether or not the repository exists yet.</summary>
public sealed record RepositoryAccess(bool Exists, long RepositoryId, AccessLevel Level, bool CanCreate)
{
    public const string Pull = "pull";
    public const string Push = "push";
    public const string Delete = "delete";

    public static RepositoryAccess Nothing { get; } = new(false, 0, AccessLevel.None, false);

    /// <summary>Visible: may learn the repository exists. Everyone else sees what they would see for an absent name.</summary>
    public bool IsVisible => Exists && Level >= AccessLevel.Read;

    /// <summary>The registry actions this access allows (Docker token spec vocabulary).</summary>
    public IEnumerable<string> Actions()
    {
        if (Level >= AccessLevel.Read)
        {
            yield return Pull;
        }

        if (Level >= AccessLevel.Write)
        {
            yield return Push;
        }

        if (Level >= AccessLevel.Admin)
        {
            yield return Delete;
        }
    }
}
