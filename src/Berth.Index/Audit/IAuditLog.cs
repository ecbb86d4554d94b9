using Berth.Index.Accounts;

namespace Berth.Index.Audit;

/// <summary>One audited action: who did what to what, from where.</summary>
public sealed record AuditEntry(DateTime At, string? Actor, string Action, string? Target, string? Address, string? Detail);

/// <summary>The audit trail of security-relevant actions (<see cref="AuditActions"/>).</summary>
public interface IAuditLog
{
    /// <summary>Adds an entry to the unit of work of the current scope; it is written by the next save.</summary>
    void Add(string? actor, string action, string? target, string? detail = null);

    /// <summary>Adds an entry and saves it at once.</summary>
    Task RecordAsync(string? actor, string action, string? target, string? detail, CancellationToken cancellationToken);

    /// <summary>Newest first; administrators only.</summary>
    Task<Outcome<IReadOnlyList<AuditEntry>>> ListAsync(Principal principal, PageRequest page, CancellationToken cancellationToken);
}

/// <summary>Per request: the client address the host saw, recorded with every entry of the request.</summary>
public sealed class AuditContext
{
    public string? Address { get; set; }
}
