using System.Net;
using System.Text.Json;
using Berth.Data;
using Berth.Data.Entities;
using Berth.Index.Events;
using Berth.Server.Endpoints;
using Microsoft.EntityFrameworkCore;

namespace Berth.Server.Hosting;

/// <summary>
/// Delivers the repository deletions the index owes separate registries (<c>registry_deletions</c>): a signed
/// <c>DELETE /api/v1/internal/repositories/{name}</c> to each. 2xx or 404 settles a row; anything else is retried with
/// exponential backoff and jitter up to <paramref name="maxDelay"/>, for as long as it takes (the rows survive restarts).
/// </summary>
internal sealed partial class RegistryDeletionWorker(
    IServiceScopeFactory scopes,
    RegistryDeletionQueue queue,
    HttpClient http,
    string secret,
    TimeSpan maxDelay,
    TimeProvider time,
    ILogger<RegistryDeletionWorker> logger) : BackgroundService
{
    public const string PathPrefix = "api/v1/internal/repositories/";
    private const int Batch = 20;

    // Rows added by another index node sharing the database ring no bell here: look at the table this often anyway.
    private static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                wait = await DeliverDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e);
                wait = FirstRetry;
            }

            await queue.WaitAsync(wait, time, stoppingToken);
        }
    }

    /// <summary>Tries every due deletion once; returns how long until the next one is due (at most <see cref="IdlePoll"/>).</summary>
    private async Task<TimeSpan> DeliverDueAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BerthDbContext>();
        while (true)
        {
            var now = time.GetUtcNow().UtcDateTime;
            var due = await db.RegistryDeletions.Where(d => d.NextAttemptAt <= now).OrderBy(d => d.NextAttemptAt).Take(Batch).ToListAsync(cancellationToken);
            foreach (var deletion in due)
            {
                var error = await SendAsync(deletion, cancellationToken);
                if (error is null)
                {
                    db.RegistryDeletions.Remove(deletion);
                    LogDelivered(logger, deletion.Repository, deletion.RegistryUrl);
                }
                else
                {
                    deletion.Attempts++;
                    deletion.NextAttemptAt = time.GetUtcNow().UtcDateTime + RetryBackoff.After(deletion.Attempts, FirstRetry, maxDelay);
                    deletion.LastError = error.Length <= 1000 ? error : error[..1000];
                    LogRetrying(logger, deletion.Repository, deletion.RegistryUrl, deletion.Attempts, error);
                }

                try
                {
                    await db.SaveChangesAsync(cancellationToken);
                }
                catch (DbUpdateConcurrencyException)
                {
                    // Another index node settled or rescheduled the same row meanwhile; its word stands.
                    db.ChangeTracker.Clear();
                }
            }

            if (due.Count < Batch)
            {
                break;
            }
        }

        var next = await db.RegistryDeletions.OrderBy(d => d.NextAttemptAt).Select(d => (DateTime?)d.NextAttemptAt).FirstOrDefaultAsync(cancellationToken);
        var untilNext = next is { } at ? at - time.GetUtcNow().UtcDateTime : IdlePoll;
        return untilNext < TimeSpan.Zero ? TimeSpan.Zero : untilNext < IdlePoll ? untilNext : IdlePoll;
    }

    /// <summary>Null when the registry confirmed (or never had it: 404); otherwise why not.</summary>
    private async Task<string?> SendAsync(RegistryDeletion deletion, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new EventEnvelope.RepositoryDeletionRequest(Guid.NewGuid().ToString("N"), deletion.Repository), EventJson.Default.RepositoryDeletionRequest);
        using var request = new HttpRequestMessage(HttpMethod.Delete, new Uri(new Uri(deletion.RegistryUrl + "/"), PathPrefix + deletion.Repository));
        EventEnvelope.SetSignedContent(request, body, "application/json", secret, time.GetUtcNow());
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            return response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotFound
                ? null
                : $"{(int)response.StatusCode} {response.ReasonPhrase}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return e.Message;
        }
    }

    /// <summary>1 s, 2 s, 4 s, … up to the cap, each drawn from its upper half so retries of many rows spread out.</summary>

    [LoggerMessage(Level = LogLevel.Information, Message = "Repository {Repository} deleted on registry {Registry}")]
    private static partial void LogDelivered(ILogger logger, string repository, string registry);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting repository {Repository} on registry {Registry} failed (attempt {Attempts}), will retry: {Reason}")]
    private static partial void LogRetrying(ILogger logger, string repository, string registry, int attempts, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Delivering repository deletions to registries failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
