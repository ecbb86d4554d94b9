using Berth.Data.Events;
using Berth.Data.Sqlite;
using Berth.Index.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Berth.Index.Tests;

/// <summary>
/// What the index records from registry events: a tag's summary follows each push of it, the repository's last push
/// only moves forward (a separate registry's older event heard late leaves it), and an event heard twice changes
/// nothing the second time. One in-memory database per test.
/// </summary>
public sealed class IndexRecordsTests : IDisposable
{
    private static readonly DateTime Start = new(2026, 12, 2, 9, 0, 0, DateTimeKind.Utc);

    private readonly SqliteConnection _connection = new("Data Source=:memory:");
    private readonly SqliteBerthDbContext _db;

    public IndexRecordsTests()
    {
        _connection.Open();
        _db = new SqliteBerthDbContext(new DbContextOptionsBuilder<SqliteBerthDbContext>().UseSqlite(_connection).Options);
        _db.Database.EnsureCreated();
    }

    [Fact]
    public async Task A_tag_summary_follows_each_push_and_the_last_push_time_only_moves_forward()
    {
        await ApplyAsync(Push("team/app", "v1", 'a', Start, platforms: "linux/amd64"));
        await ApplyAsync(Push("team/app", "v1", 'b', Start.AddMinutes(1), platforms: null));

        var summary = await _db.TagSummaries.AsNoTracking().SingleAsync();
        Assert.Equal(("v1", "sha256:" + new string('b', 64), 1500L, Start.AddMinutes(1), "alice", (string?)null),
            (summary.Tag, summary.Digest, summary.Size, summary.PushedAt, summary.Pusher, summary.Platforms));
        Assert.Equal(Start.AddMinutes(1), await LastPushedAtAsync("team/app"));

        // An older push of another tag, heard late: its tag is recorded, the repository's last push stays.
        await ApplyAsync(Push("team/app", "v0", 'c', Start.AddMinutes(-5), platforms: ""));
        Assert.Equal(Start.AddMinutes(1), await LastPushedAtAsync("team/app"));
        Assert.Equal(2, await _db.TagSummaries.CountAsync());
        Assert.Equal("", await _db.TagSummaries.Where(t => t.Tag == "v0").Select(t => t.Platforms).SingleAsync());
    }

    [Fact]
    public async Task An_event_heard_twice_is_applied_once()
    {
        var push = Push("team/app", "v1", 'a', Start, platforms: null);
        var pull = new RegistryEvent(Guid.NewGuid().ToString("N"), RegistryActions.Pull, "team/app", "v1", push.Digest, push.MediaType, 500, 1500, null, Start, Count: 3);

        Assert.True(await ApplyAsync(push));
        Assert.True(await ApplyAsync(pull));
        Assert.False(await ApplyAsync(pull));
        Assert.False(await ApplyAsync(push with { Tag = "other" }));

        Assert.Equal(3, await _db.Repositories.Where(r => r.Name == "team/app").Select(r => r.PullCount).SingleAsync());
        Assert.Equal(["v1"], await _db.TagSummaries.Select(t => t.Tag).ToListAsync());
    }

    private async Task<bool> ApplyAsync(RegistryEvent e)
    {
        var applied = await EventReceivers.Over(_db).ApplyOnceAsync(e, registryUrl: null, CancellationToken.None);
        _db.ChangeTracker.Clear();
        return applied;
    }

    private Task<DateTime?> LastPushedAtAsync(string repository) =>
        _db.Repositories.Where(r => r.Name == repository).Select(r => r.LastPushedAt).SingleAsync();

    private static RegistryEvent Push(string repository, string tag, char digest, DateTime at, string? platforms) =>
        new(Guid.NewGuid().ToString("N"), RegistryActions.Push, repository, tag, "sha256:" + new string(digest, 64), "application/vnd.oci.image.manifest.v1+json", 500, 1500, "alice", at, Platforms: platforms);

    public void Dispose()
    {
        _db.Dispose();
        _connection.Dispose();
    }
}
