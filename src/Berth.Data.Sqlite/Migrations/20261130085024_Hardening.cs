using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Berth.Data.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class Hardening : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "CreatedBy",
                table: "repositories",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "LastUsedAt",
                table: "refresh_tokens",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "NamespaceId",
                table: "organizations",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "NamespaceId",
                table: "accounts",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "login_throttles",
                columns: table => new
                {
                    Key = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Failures = table.Column<int>(type: "INTEGER", nullable: false),
                    WindowStart = table.Column<DateTime>(type: "TEXT", nullable: false),
                    BlockedUntil = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_login_throttles", x => x.Key);
                });

            migrationBuilder.CreateTable(
                name: "namespaces",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_namespaces", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "received_events",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    ReceivedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_received_events", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "registry_deletions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    RegistryUrl = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    Repository = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    NextAttemptAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    LastError = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_registry_deletions", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "registry_repositories",
                columns: table => new
                {
                    RegistryUrl = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    Repository = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    LastReportedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_registry_repositories", x => new { x.RegistryUrl, x.Repository });
                });

            // Existing users and organisations get their namespace rows (users first: a name both claimed stays the user's).
            migrationBuilder.Sql("INSERT OR IGNORE INTO namespaces (Name, Kind) SELECT Name, 0 FROM accounts;");
            migrationBuilder.Sql("INSERT OR IGNORE INTO namespaces (Name, Kind) SELECT Name, 1 FROM organizations;");
            migrationBuilder.Sql("UPDATE accounts SET NamespaceId = (SELECT n.Id FROM namespaces n WHERE n.Name = accounts.Name AND n.Kind = 0);");
            migrationBuilder.Sql("UPDATE organizations SET NamespaceId = (SELECT n.Id FROM namespaces n WHERE n.Name = organizations.Name AND n.Kind = 1);");

            migrationBuilder.CreateIndex(
                name: "IX_organizations_NamespaceId",
                table: "organizations",
                column: "NamespaceId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_accounts_NamespaceId",
                table: "accounts",
                column: "NamespaceId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_login_throttles_WindowStart",
                table: "login_throttles",
                column: "WindowStart");

            migrationBuilder.CreateIndex(
                name: "IX_namespaces_Name",
                table: "namespaces",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_received_events_ReceivedAt",
                table: "received_events",
                column: "ReceivedAt");

            migrationBuilder.CreateIndex(
                name: "IX_registry_deletions_NextAttemptAt",
                table: "registry_deletions",
                column: "NextAttemptAt");

            migrationBuilder.CreateIndex(
                name: "IX_registry_repositories_Repository",
                table: "registry_repositories",
                column: "Repository");

            migrationBuilder.AddForeignKey(
                name: "FK_accounts_namespaces_NamespaceId",
                table: "accounts",
                column: "NamespaceId",
                principalTable: "namespaces",
                principalColumn: "Id",
                onDelete: ReferentialAction.Restrict);

            migrationBuilder.AddForeignKey(
                name: "FK_organizations_namespaces_NamespaceId",
                table: "organizations",
                column: "NamespaceId",
                principalTable: "namespaces",
                principalColumn: "Id",
                onDelete: ReferentialAction.Restrict);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_accounts_namespaces_NamespaceId",
                table: "accounts");

            migrationBuilder.DropForeignKey(
                name: "FK_organizations_namespaces_NamespaceId",
                table: "organizations");

            migrationBuilder.DropTable(
                name: "login_throttles");

            migrationBuilder.DropTable(
                name: "namespaces");

            migrationBuilder.DropTable(
                name: "received_events");

            migrationBuilder.DropTable(
                name: "registry_deletions");

            migrationBuilder.DropTable(
                name: "registry_repositories");

            migrationBuilder.DropIndex(
                name: "IX_organizations_NamespaceId",
                table: "organizations");

            migrationBuilder.DropIndex(
                name: "IX_accounts_NamespaceId",
                table: "accounts");

            migrationBuilder.DropColumn(
                name: "CreatedBy",
                table: "repositories");

            migrationBuilder.DropColumn(
                name: "LastUsedAt",
                table: "refresh_tokens");

            migrationBuilder.DropColumn(
                name: "NamespaceId",
                table: "organizations");

            migrationBuilder.DropColumn(
                name: "NamespaceId",
                table: "accounts");
        }
    }
}
