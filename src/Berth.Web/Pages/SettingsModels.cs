using Berth.Data.Entities;
using Berth.Index.Organizations;
using Berth.Index.Repositories;

namespace Berth.Web.Pages;

public sealed record NewOrganisationModel(string Name, string? Description, bool MembersCanCreate, string? Error);

/// <summary>A team's grant on one of the organisation's repositories.</summary>
public sealed record TeamGrant(string Repository, string Team, AccessLevel Level);

/// <param name="Organization">As its owner sees it: members and teams are set.</param>
/// <param name="Repositories">The organisation's repositories (the first <see cref="OrganisationPages.RepositoryLimit"/>, by name).</param>
/// <param name="Error">What went wrong with the form just sent, or null.</param>
public sealed record OrganisationSettingsModel(OrganizationInfo Organization, IReadOnlyList<string> Repositories, IReadOnlyList<TeamGrant> Grants, string? Error)
{
    public IReadOnlyList<OrganizationMemberInfo> Members => Organization.Members ?? [];

    public IReadOnlyList<TeamInfo> Teams => Organization.Teams ?? [];

    public string SettingsUrl => $"/u/{Organization.Name}/-/settings";
}

/// <param name="Collaborators">User and team grants (the first <see cref="RepositorySettingsPages.CollaboratorLimit"/>).</param>
/// <param name="Teams">The teams of the organisation that owns the repository; null when it is a user's (no teams), empty
/// when the caller may not list them.</param>
/// <param name="Error">What went wrong with the form just sent, or null.</param>
/// <param name="Description">The description text to show in the form (what was sent, after an error).</param>
public sealed record RepositorySettingsModel(
    RepositoryDetails Details,
    IReadOnlyList<CollaboratorInfo> Collaborators,
    IReadOnlyList<string>? Teams,
    string? Error,
    string Description)
{
    public string Name => Details.Summary.Name;

    public string SettingsUrl => $"/r/{Name}/-/settings";

    public static IReadOnlyList<AccessLevel> Levels { get; } = [AccessLevel.Read, AccessLevel.Write, AccessLevel.Admin];

    public static string Word(AccessLevel level) => level.ToString().ToLowerInvariant();
}
