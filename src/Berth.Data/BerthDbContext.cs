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

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<RepositoryRecord>(e =>
        {
            e.ToTable("repositories");
            e.Property(r => r.Name).HasMaxLength(255);
            e.HasIndex(r => r.Name).IsUnique();
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
            e.HasOne<ManifestRecord>().WithMany().HasForeignKey(r => r.ManifestId).OnDelete(DeleteBehavior.Cascade);
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
        });
    }
}
