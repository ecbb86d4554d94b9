using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Berth.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class GarbageCollection : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "PublishingDigest",
                table: "uploads",
                type: "character varying(140)",
                maxLength: 140,
                nullable: true,
                collation: "C");

            migrationBuilder.CreateTable(
                name: "gc_blob_candidates",
                columns: table => new
                {
                    Digest = table.Column<string>(type: "character varying(140)", maxLength: 140, nullable: false, collation: "C"),
                    QueuedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    DeletingSince = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Size = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_gc_blob_candidates", x => x.Digest);
                });

            migrationBuilder.CreateTable(
                name: "gc_manifest_candidates",
                columns: table => new
                {
                    RepositoryId = table.Column<long>(type: "bigint", nullable: false),
                    Digest = table.Column<string>(type: "character varying(140)", maxLength: 140, nullable: false, collation: "C"),
                    QueuedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_gc_manifest_candidates", x => new { x.RepositoryId, x.Digest });
                    table.ForeignKey(
                        name: "FK_gc_manifest_candidates_repositories_RepositoryId",
                        column: x => x.RepositoryId,
                        principalTable: "repositories",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "gc_runs",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Trigger = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false, collation: "C"),
                    DryRun = table.Column<bool>(type: "boolean", nullable: false),
                    StartedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    FinishedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    BlobsDeleted = table.Column<int>(type: "integer", nullable: false),
                    BytesDeleted = table.Column<long>(type: "bigint", nullable: false),
                    ManifestsDeleted = table.Column<int>(type: "integer", nullable: false),
                    CandidatesReviewed = table.Column<int>(type: "integer", nullable: false),
                    Error = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true, collation: "C")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_gc_runs", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_uploads_PublishingDigest",
                table: "uploads",
                column: "PublishingDigest");

            migrationBuilder.CreateIndex(
                name: "IX_gc_blob_candidates_QueuedAt",
                table: "gc_blob_candidates",
                column: "QueuedAt");

            migrationBuilder.CreateIndex(
                name: "IX_gc_manifest_candidates_QueuedAt",
                table: "gc_manifest_candidates",
                column: "QueuedAt");

            migrationBuilder.CreateIndex(
                name: "IX_gc_runs_StartedAt",
                table: "gc_runs",
                column: "StartedAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "gc_blob_candidates");

            migrationBuilder.DropTable(
                name: "gc_manifest_candidates");

            migrationBuilder.DropTable(
                name: "gc_runs");

            migrationBuilder.DropIndex(
                name: "IX_uploads_PublishingDigest",
                table: "uploads");

            migrationBuilder.DropColumn(
                name: "PublishingDigest",
                table: "uploads");
        }
    }
}
