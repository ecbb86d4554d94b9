using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Berth.Data.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class WebhookEventFeed : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "EventCursor",
                table: "webhooks",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.CreateTable(
                name: "webhook_events",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    RepositoryId = table.Column<long>(type: "INTEGER", nullable: true),
                    NamespaceId = table.Column<long>(type: "INTEGER", nullable: true),
                    EventType = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Payload = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_webhook_events", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_webhook_events_NamespaceId_Id",
                table: "webhook_events",
                columns: new[] { "NamespaceId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_webhook_events_RepositoryId_Id",
                table: "webhook_events",
                columns: new[] { "RepositoryId", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "webhook_events");

            migrationBuilder.DropColumn(
                name: "EventCursor",
                table: "webhooks");
        }
    }
}
