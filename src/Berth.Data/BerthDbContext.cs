using Berth.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace Berth.Data;

/// <summary>
/// The one model of everything Berth records. Each database provider has a subclass that carries its own
/// migrations; services depend on this base type only.
/// </summary>
public abstract class BerthDbContext : DbContext
{
    protected BerthDbContext(DbContextOptions options)
        : base(options)
    {
    }

    public DbSet<RepositoryRecord> Repositories => Set<RepositoryRecord>();

    public DbSet<BlobRecord> Blobs => Set<BlobRecord>();

    public DbSet<RepositoryBlob> RepositoryBlobs => Set<RepositoryBlob>();

    public DbSet<ManifestRecord> Manifests => Set<ManifestRecord>();

    public DbSet<ManifestReference> ManifestReferences => Set<ManifestReference>();

    public DbSet<TagRecord> Tags => Set<TagRecord>();

    public DbSet<UploadSession> Uploads => Set<UploadSession>();

    public DbSet<GcBlobCandidate> GcBlobCandidates => Set<GcBlobCandidate>();

    public DbSet<GcManifestCandidate> GcManifestCandidates => Set<GcManifestCandidate>();

    public DbSet<GcRunRecord> GcRuns => Set<GcRunRecord>();

    public DbSet<NamespaceQuota> NamespaceQuotas => Set<NamespaceQuota>();

    public DbSet<ImmutableTagRule> ImmutableTagRules => Set<ImmutableTagRule>();

    public DbSet<RetentionPolicy> RetentionPolicies => Set<RetentionPolicy>();

    public DbSet<Account> Accounts => Set<Account>();

    public DbSet<Organization> Organizations => Set<Organization>();

    public DbSet<OrganizationMember> OrganizationMembers => Set<OrganizationMember>();

    public DbSet<Team> Teams => Set<Team>();

    public DbSet<TeamMember> TeamMembers => Set<TeamMember>();

    public DbSet<RepositoryPermission> RepositoryPermissions => Set<RepositoryPermission>();

    public DbSet<PersonalAccessToken> PersonalAccessTokens => Set<PersonalAccessToken>();

    public DbSet<RefreshToken> RefreshTokens => Set<RefreshToken>();

    public DbSet<WebSession> WebSessions => Set<WebSession>();

    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<Star> Stars => Set<Star>();

    public DbSet<Comment> Comments => Set<Comment>();

    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();

    public DbSet<TagSummary> TagSummaries => Set<TagSummary>();

    public DbSet<NamespaceRecord> Namespaces => Set<NamespaceRecord>();

    public DbSet<LoginThrottleRecord> LoginThrottles => Set<LoginThrottleRecord>();

    public DbSet<ReceivedEvent> ReceivedEvents => Set<ReceivedEvent>();

    public DbSet<ClusterLeaseRecord> ClusterLeases => Set<ClusterLeaseRecord>();

    public DbSet<RateLimitWindowRecord> RateLimitWindows => Set<RateLimitWindowRecord>();

    public DbSet<MirrorTagRecord> MirrorTags => Set<MirrorTagRecord>();

    public DbSet<MirrorBackoffRecord> MirrorBackoffs => Set<MirrorBackoffRecord>();

    public DbSet<RegistryRepository> RegistryRepositories => Set<RegistryRepository>();

    public DbSet<RegistryDeletion> RegistryDeletions => Set<RegistryDeletion>();

    public DbSet<OutboxEvent> OutboxEvents => Set<OutboxEvent>();

    public DbSet<OutboxCursor> OutboxCursors => Set<OutboxCursor>();

    public DbSet<Webhook> Webhooks => Set<Webhook>();

    public DbSet<WebhookDelivery> WebhookDeliveries => Set<WebhookDelivery>();

    public DbSet<WebhookEvent> WebhookEvents => Set<WebhookEvent>();

    public DbSet<WebhookAttempt> WebhookAttempts => Set<WebhookAttempt>();

    /// <summary>
    /// Applies pending migrations and sets the database up for concurrent use, as this provider needs it. Safe to
    /// call from several nodes starting at once against one database.
    /// </summary>
    public abstract Task MigrateAsync(CancellationToken cancellationToken);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<RepositoryRecord>(e =>
        {
            e.ToTable("repositories");
            e.Property(r => r.Name).HasMaxLength(255);
            e.HasIndex(r => r.Name).IsUnique();
            e.Property(r => r.Namespace).HasMaxLength(255);
            e.Property(r => r.Description).HasMaxLength(4000);
            e.Property(r => r.CreatedBy).HasMaxLength(64);
            e.Property(r => r.MirrorSource).HasMaxLength(500);
            e.HasIndex(r => r.Namespace);
        });

        modelBuilder.Entity<BlobRecord>(e =>
        {
            e.ToTable("blobs");
            e.HasKey(b => b.Digest);
            e.Property(b => b.Digest).HasMaxLength(140);
        });

        modelBuilder.Entity<RepositoryBlob>(e =>
        {
            e.ToTable("repository_blobs");
            e.HasKey(l => new { l.RepositoryId, l.Digest });
            e.Property(l => l.Digest).HasMaxLength(140);
            e.HasOne<RepositoryRecord>().WithMany().HasForeignKey(l => l.RepositoryId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(l => l.Digest);
        });

        modelBuilder.Entity<ManifestRecord>(e =>
        {
            e.ToTable("manifests");
            e.Property(m => m.Digest).HasMaxLength(140);
            e.Property(m => m.MediaType).HasMaxLength(255);
            e.Property(m => m.ArtifactType).HasMaxLength(255);
            e.Property(m => m.SubjectDigest).HasMaxLength(140);
            e.HasOne<RepositoryRecord>().WithMany().HasForeignKey(m => m.RepositoryId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(m => new { m.RepositoryId, m.Digest }).IsUnique();
            e.HasIndex(m => new { m.RepositoryId, m.SubjectDigest });
        });

        modelBuilder.Entity<ManifestReference>(e =>
        {
            e.ToTable("manifest_references");
            e.HasKey(r => new { r.ManifestId, r.Digest });
            e.Property(r => r.Digest).HasMaxLength(140);
            e.HasOne(r => r.Manifest).WithMany().HasForeignKey(r => r.ManifestId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(r => r.Digest);
        });

        modelBuilder.Entity<TagRecord>(e =>
        {
            e.ToTable("tags");
            e.HasKey(t => new { t.RepositoryId, t.Name });
            e.Property(t => t.Name).HasMaxLength(128);
            e.Property(t => t.ManifestDigest).HasMaxLength(140);
            e.HasOne<RepositoryRecord>().WithMany().HasForeignKey(t => t.RepositoryId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(t => new { t.RepositoryId, t.ManifestDigest });
        });

        modelBuilder.Entity<UploadSession>(e =>
        {
            e.ToTable("uploads");
            e.HasKey(u => u.Id);
            e.Property(u => u.Id).HasMaxLength(64);
            e.Property(u => u.RepositoryName).HasMaxLength(255);
            e.Property(u => u.StorageState).HasMaxLength(100_000);
            e.Property(u => u.HashState).HasMaxLength(256);
            e.Property(u => u.ClaimToken).HasMaxLength(64);
            e.Property(u => u.PublishingDigest).HasMaxLength(140);
            e.HasIndex(u => u.PublishingDigest);
        });

        modelBuilder.Entity<GcBlobCandidate>(e =>
        {
            e.ToTable("gc_blob_candidates");
            e.HasKey(c => c.Digest);
            e.Property(c => c.Digest).HasMaxLength(140);
            e.HasIndex(c => c.QueuedAt);
        });

        modelBuilder.Entity<GcManifestCandidate>(e =>
        {
            e.ToTable("gc_manifest_candidates");
            e.HasKey(c => new { c.RepositoryId, c.Digest });
            e.Property(c => c.Digest).HasMaxLength(140);
            e.HasOne<RepositoryRecord>().WithMany().HasForeignKey(c => c.RepositoryId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(c => c.QueuedAt);
        });

        modelBuilder.Entity<GcRunRecord>(e =>
        {
            e.ToTable("gc_runs");
            e.Property(r => r.Trigger).HasMaxLength(16);
            e.Property(r => r.Error).HasMaxLength(1000);
            e.HasIndex(r => r.StartedAt);
        });

        modelBuilder.Entity<NamespaceQuota>(e =>
        {
            e.ToTable("namespace_quotas");
            e.HasKey(q => q.Namespace);
            e.Property(q => q.Namespace).HasMaxLength(255);
        });

        modelBuilder.Entity<OutboxEvent>(e =>
        {
            e.ToTable("outbox_events");
            e.Property(o => o.EventId).HasMaxLength(64);
            e.HasIndex(o => o.EventId).IsUnique();
            e.Property(o => o.Repository).HasMaxLength(255);
            e.Property(o => o.Action).HasMaxLength(32);
            e.HasIndex(o => o.CreatedAt);
        });

        modelBuilder.Entity<OutboxCursor>(e =>
        {
            e.ToTable("outbox_cursors");
            e.HasKey(c => c.Subscriber);
            e.Property(c => c.Subscriber).HasMaxLength(200);
            e.Property(c => c.LastError).HasMaxLength(1000);
            e.Property(c => c.LeaseOwner).HasMaxLength(200);
        });

        OnIndexModelCreating(modelBuilder);
    }

    private static void OnIndexModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Account>(e =>
        {
            e.ToTable("accounts");
            e.Property(a => a.Name).HasMaxLength(64);
            e.Property(a => a.Email).HasMaxLength(255);
            e.HasIndex(a => a.Name).IsUnique();
            e.HasIndex(a => a.NamespaceId).IsUnique();
            e.HasOne<NamespaceRecord>().WithMany().HasForeignKey(a => a.NamespaceId).OnDelete(DeleteBehavior.Restrict);
        });

        modelBuilder.Entity<NamespaceRecord>(e =>
        {
            e.ToTable("namespaces");
            e.Property(n => n.Name).HasMaxLength(64);
            e.HasIndex(n => n.Name).IsUnique();
        });

        modelBuilder.Entity<Organization>(e =>
        {
            e.ToTable("organizations");
            e.Property(o => o.Name).HasMaxLength(64);
            e.HasIndex(o => o.Name).IsUnique();
            e.HasIndex(o => o.NamespaceId).IsUnique();
            e.HasOne<NamespaceRecord>().WithMany().HasForeignKey(o => o.NamespaceId).OnDelete(DeleteBehavior.Restrict);
        });

        modelBuilder.Entity<OrganizationMember>(e =>
        {
            e.ToTable("organization_members");
            e.HasKey(m => new { m.OrganizationId, m.AccountId });
            e.HasOne<Organization>().WithMany().HasForeignKey(m => m.OrganizationId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Account>().WithMany().HasForeignKey(m => m.AccountId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<Team>(e =>
        {
            e.ToTable("teams");
            e.Property(t => t.Name).HasMaxLength(64);
            e.HasIndex(t => new { t.OrganizationId, t.Name }).IsUnique();
            e.HasOne<Organization>().WithMany().HasForeignKey(t => t.OrganizationId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<TeamMember>(e =>
        {
            e.ToTable("team_members");
            e.HasKey(m => new { m.TeamId, m.AccountId });
            e.HasOne<Team>().WithMany().HasForeignKey(m => m.TeamId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Account>().WithMany().HasForeignKey(m => m.AccountId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<RepositoryPermission>(e =>
        {
            e.ToTable("repository_permissions");
            e.HasIndex(p => new { p.RepositoryId, p.AccountId, p.TeamId }).IsUnique();
            e.HasIndex(p => p.AccountId);
            e.HasIndex(p => p.TeamId);
            e.HasOne<RepositoryRecord>().WithMany().HasForeignKey(p => p.RepositoryId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Account>().WithMany().HasForeignKey(p => p.AccountId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Team>().WithMany().HasForeignKey(p => p.TeamId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<PersonalAccessToken>(e =>
        {
            e.ToTable("personal_access_tokens");
            e.Property(t => t.Name).HasMaxLength(100);
            e.Property(t => t.SecretHash).HasMaxLength(64);
            e.Property(t => t.Prefix).HasMaxLength(16);
            e.HasIndex(t => t.SecretHash).IsUnique();
            e.HasOne<Account>().WithMany().HasForeignKey(t => t.AccountId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<RefreshToken>(e =>
        {
            e.ToTable("refresh_tokens");
            e.Property(t => t.SecretHash).HasMaxLength(64);
            e.Property(t => t.ClientId).HasMaxLength(100);
            e.HasIndex(t => t.SecretHash).IsUnique();
            e.HasOne<Account>().WithMany().HasForeignKey(t => t.AccountId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<WebSession>(e =>
        {
            e.ToTable("web_sessions");
            e.Property(t => t.SecretHash).HasMaxLength(64);
            e.Property(t => t.UserAgent).HasMaxLength(200);
            e.HasIndex(t => t.SecretHash).IsUnique();
            e.HasIndex(t => t.AccountId);
            e.HasOne<Account>().WithMany().HasForeignKey(t => t.AccountId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<DataProtectionKey>(e =>
        {
            e.ToTable("data_protection_keys");
            e.Property(k => k.FriendlyName).HasMaxLength(100);
            e.HasIndex(k => k.FriendlyName).IsUnique();
        });

        modelBuilder.Entity<Star>(e =>
        {
            e.ToTable("stars");
            e.HasKey(s => new { s.AccountId, s.RepositoryId });
            e.HasIndex(s => s.RepositoryId);
            e.HasOne<Account>().WithMany().HasForeignKey(s => s.AccountId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<RepositoryRecord>().WithMany().HasForeignKey(s => s.RepositoryId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<Comment>(e =>
        {
            e.ToTable("comments");
            e.Property(c => c.Body).HasMaxLength(20000);
            e.HasIndex(c => new { c.RepositoryId, c.CreatedAt });
            e.HasOne<Account>().WithMany().HasForeignKey(c => c.AccountId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<RepositoryRecord>().WithMany().HasForeignKey(c => c.RepositoryId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<AuditEvent>(e =>
        {
            e.ToTable("audit_events");
            e.Property(a => a.Action).HasMaxLength(64);
            e.HasIndex(a => a.At);
        });

        modelBuilder.Entity<TagSummary>(e =>
        {
            e.ToTable("tag_summaries");
            e.HasKey(t => new { t.RepositoryId, t.Tag });
            e.Property(t => t.Tag).HasMaxLength(128);
            e.Property(t => t.Digest).HasMaxLength(140);
            e.Property(t => t.MediaType).HasMaxLength(255);
            e.Property(t => t.Platforms).HasMaxLength(TagSummary.MaxPlatformsLength);

            // Tag lists are pages in push order (newest first, then by name): read in index order, never sorted whole.
            e.HasIndex(t => new { t.RepositoryId, t.PushedAt, t.Tag }).IsDescending(false, true, false);
            e.HasOne<RepositoryRecord>().WithMany().HasForeignKey(t => t.RepositoryId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<LoginThrottleRecord>(e =>
        {
            e.ToTable("login_throttles");
            e.HasKey(t => t.Key);
            e.Property(t => t.Key).HasMaxLength(200);
            e.HasIndex(t => t.WindowStart);
        });

        modelBuilder.Entity<ReceivedEvent>(e =>
        {
            e.ToTable("received_events");
            e.HasKey(r => r.Id);
            e.Property(r => r.Id).HasMaxLength(128);
            e.HasIndex(r => r.ReceivedAt);
        });

        modelBuilder.Entity<ClusterLeaseRecord>(e =>
        {
            e.ToTable("cluster_leases");
            e.HasKey(l => l.Name);
            e.Property(l => l.Name).HasMaxLength(100);
            e.Property(l => l.Owner).HasMaxLength(200);
        });

        modelBuilder.Entity<RateLimitWindowRecord>(e =>
        {
            e.ToTable("rate_limit_windows");
            e.HasKey(w => w.Key);
            e.Property(w => w.Key).HasMaxLength(300);
            e.HasIndex(w => w.Expires);
        });

        modelBuilder.Entity<MirrorTagRecord>(e =>
        {
            e.ToTable("mirror_tags");
            e.HasKey(t => new { t.Repository, t.Tag });
            e.Property(t => t.Repository).HasMaxLength(255);
            e.Property(t => t.Tag).HasMaxLength(128);
            e.Property(t => t.Digest).HasMaxLength(140);
        });

        modelBuilder.Entity<MirrorBackoffRecord>(e =>
        {
            e.ToTable("mirror_backoffs");
            e.HasKey(b => b.Upstream);
            e.Property(b => b.Upstream).HasMaxLength(255);
        });

        modelBuilder.Entity<RegistryRepository>(e =>
        {
            e.ToTable("registry_repositories");
            e.HasKey(r => new { r.RegistryUrl, r.Repository });
            e.Property(r => r.RegistryUrl).HasMaxLength(500);
            e.Property(r => r.Repository).HasMaxLength(255);
            e.HasIndex(r => r.Repository);
        });

        modelBuilder.Entity<RegistryDeletion>(e =>
        {
            e.ToTable("registry_deletions");
            e.Property(d => d.RegistryUrl).HasMaxLength(500);
            e.Property(d => d.Repository).HasMaxLength(255);
            e.Property(d => d.LastError).HasMaxLength(1000);
            e.HasIndex(d => d.NextAttemptAt);
        });

        modelBuilder.Entity<ImmutableTagRule>(e =>
        {
            e.ToTable("immutable_tag_rules");
            e.Property(r => r.Pattern).HasMaxLength(128);
            e.Property(r => r.CreatedBy).HasMaxLength(64);
            e.HasOne<RepositoryRecord>().WithMany().HasForeignKey(r => r.RepositoryId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<NamespaceRecord>().WithMany().HasForeignKey(r => r.NamespaceId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(r => r.RepositoryId);
            e.HasIndex(r => r.NamespaceId);
        });

        modelBuilder.Entity<RetentionPolicy>(e =>
        {
            e.ToTable("retention_policies");
            e.Property(r => r.Pattern).HasMaxLength(128);
            e.Property(r => r.CreatedBy).HasMaxLength(64);
            e.HasOne<RepositoryRecord>().WithMany().HasForeignKey(r => r.RepositoryId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<NamespaceRecord>().WithMany().HasForeignKey(r => r.NamespaceId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(r => r.RepositoryId);
            e.HasIndex(r => r.NamespaceId);
        });

        modelBuilder.Entity<Webhook>(e =>
        {
            e.ToTable("webhooks");
            e.Property(w => w.Url).HasMaxLength(Webhook.MaxUrlLength);
            e.Property(w => w.Events).HasMaxLength(500);
            e.Property(w => w.Secret).HasMaxLength(200);
            e.Property(w => w.Description).HasMaxLength(1000);
            e.Property(w => w.CreatedBy).HasMaxLength(64);
            e.Property(w => w.DisabledReason).HasMaxLength(1000);
            e.Property(w => w.LeaseOwner).HasMaxLength(200);
            e.HasOne<RepositoryRecord>().WithMany().HasForeignKey(w => w.RepositoryId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<NamespaceRecord>().WithMany().HasForeignKey(w => w.NamespaceId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(w => w.RepositoryId);
            e.HasIndex(w => w.NamespaceId);
        });

        modelBuilder.Entity<WebhookDelivery>(e =>
        {
            e.ToTable("webhook_deliveries");
            e.Property(d => d.MessageId).HasMaxLength(64);
            e.Property(d => d.EventType).HasMaxLength(64);
            e.HasOne<Webhook>().WithMany().HasForeignKey(d => d.WebhookId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(d => new { d.WebhookId, d.State, d.Id });
            e.HasIndex(d => new { d.State, d.NextAttemptAt });

            // No index on MessageId: nothing looks a delivery up by it, and every delivery would write one entry into
            // it, at a random place (the ids are random).
        });

        modelBuilder.Entity<WebhookEvent>(e =>
        {
            e.ToTable("webhook_events");
            e.Property(x => x.EventType).HasMaxLength(64);

            // No foreign keys: an event outlives a deleted repository (its namespace's webhooks still hear of it).
            // Each webhook reads its scope's events past its cursor.
            e.HasIndex(x => new { x.RepositoryId, x.Id });
            e.HasIndex(x => new { x.NamespaceId, x.Id });
        });

        modelBuilder.Entity<WebhookAttempt>(e =>
        {
            e.ToTable("webhook_attempts");
            e.Property(a => a.ResponseExcerpt).HasMaxLength(WebhookAttempt.MaxResponseExcerpt);
            e.Property(a => a.Error).HasMaxLength(WebhookAttempt.MaxError);
            e.HasOne<WebhookDelivery>().WithMany().HasForeignKey(a => a.DeliveryId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(a => new { a.DeliveryId, a.Id });
        });
    }
}
