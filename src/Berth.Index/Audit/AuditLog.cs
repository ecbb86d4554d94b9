using Berth.Data;
using Berth.Data.Entities;
using Berth.Index.Accounts;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Audit;

internal sealed class AuditLog(BerthDbContext db, AuditContext context, TimeProvider time) : IAuditLog
{
    private const int MaxDetail = 1000;

    public void Add(string? actor, string action, string? target, string? detail = null) =>
        db.AuditEvents.Add(new AuditEvent
        {
            At = time.GetUtcNow().UtcDateTime,
            Actor = actor,
            Action = action,
            Target = target,
            Address = context.Address,
            Detail = detail is { Length: > MaxDetail } ? detail[..MaxDetail] : detail,
        });

    public async Task RecordAsync(string? actor, string action, string? target, string? detail, CancellationToken cancellationToken)
    {
        Add(actor, action, target, detail);
        await db.SaveChangesAsync(cancellationToken);
    }

    public async Task<Outcome<IReadOnlyList<AuditEntry>>> ListAsync(Principal principal, PageRequest page, CancellationToken cancellationToken)
    {
        if (Credentials.RequireSiteAdmin(principal) is { } denied)
        {
            return denied;
        }

        var events = await db.AuditEvents.AsNoTracking()
            .OrderByDescending(e => e.At).ThenByDescending(e => e.Id)
            .Skip(page.Skip).Take(page.Size)
            .ToListAsync(cancellationToken);
        return events.Select(e => new AuditEntry(Times.Utc(e.At), e.Actor, e.Action, e.Target, e.Address, e.Detail)).ToList();
    }
}
