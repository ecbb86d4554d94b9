using Berth.Data.Entities;
using Berth.Index.Accounts;

namespace Berth.Index.Organizations;

public sealed record OrganizationMemberInfo(string Name, OrganizationRole Role);

public sealed record TeamInfo(string Name, IReadOnlyList<string> Members);

/// <summary>An organisation; <see cref="Members"/> and <see cref="Teams"/> are null for callers outside it.</summary>
public sealed record OrganizationInfo(
    string Name,
    string? Description,
    bool MembersCanCreateRepositories,
    DateTime CreatedAt,
    IReadOnlyList<OrganizationMemberInfo>? Members,
    IReadOnlyList<TeamInfo>? Teams);

/// <summary>Organisations, their members and teams. Changes are for owners (and site admins).</summary>
public interface IOrganizationService
{
    /// <summary>Creates an organisation; the creator becomes its owner.</summary>
    Task<Outcome<OrganizationInfo>> CreateAsync(Principal caller, string name, string? description, bool membersCanCreateRepositories, CancellationToken cancellationToken);

    Task<Outcome<OrganizationInfo>> GetAsync(Principal? caller, string name, CancellationToken cancellationToken);

    /// <summary>Adds a member or changes their role. The last owner cannot be demoted.</summary>
    Task<Outcome<bool>> SetMemberAsync(Principal caller, string organization, string user, OrganizationRole role, CancellationToken cancellationToken);

    /// <summary>Removes a member from the organisation and all its teams. The last owner cannot be removed.</summary>
    Task<Outcome<bool>> RemoveMemberAsync(Principal caller, string organization, string user, CancellationToken cancellationToken);

    Task<Outcome<TeamInfo>> CreateTeamAsync(Principal caller, string organization, string team, CancellationToken cancellationToken);

    /// <summary>Adds a user to a team, and to the organisation as a member if they are not in it yet.</summary>
    Task<Outcome<bool>> AddTeamMemberAsync(Principal caller, string organization, string team, string user, CancellationToken cancellationToken);

    Task<Outcome<bool>> RemoveTeamMemberAsync(Principal caller, string organization, string team, string user, CancellationToken cancellationToken);
}
