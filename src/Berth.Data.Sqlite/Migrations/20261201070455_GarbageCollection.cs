using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Berth.Data.Sqlite.Migrations
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
                type: "TEXT",
                maxLength: 140,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "gc_blob_candidates",
                columns: table => new
                {
                    Digest = table.Column<string>(type: "TEXT", maxLength: 140, nullable: false),
                    QueuedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    DeletingSince = table.Column<DateTime>(type: "TEXT", nullable: true),
                    Size = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_gc_blob_candidates", x => x.Digest);
                });

            migrationBuilder.CreateTable(
                name: "gc_manifest_candidates",
                columns: table => new
                {
                    RepositoryId = table.Column<long>(type: "INTEGER", nullable: false),
                    Digest = table.Column<string>(type: "TEXT", maxLength: 140, nullable: false),
                    QueuedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
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
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Trigger = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    DryRun = table.Column<bool>(type: "INTEGER", nullable: false),
                    StartedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    FinishedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    BlobsDeleted = table.Column<int>(type: "INTEGER", nullable: false),
                    BytesDeleted = table.Column<long>(type: "INTEGER", nullable: false),
                    ManifestsDeleted = table.Column<int>(type: "INTEGER", nullable: false),
                    CandidatesReviewed = table.Column<int>(type: "INTEGER", nullable: false),
                    Error = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true)
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
