using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Berth.Data.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class MirrorCache : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "mirror_backoffs",
                columns: table => new
                {
                    Upstream = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    NotBefore = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_mirror_backoffs", x => x.Upstream);
                });

            migrationBuilder.CreateTable(
                name: "mirror_tags",
                columns: table => new
                {
                    Repository = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    Tag = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Digest = table.Column<string>(type: "TEXT", maxLength: 140, nullable: false),
                    CheckedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_mirror_tags", x => new { x.Repository, x.Tag });
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "mirror_backoffs");

            migrationBuilder.DropTable(
                name: "mirror_tags");
        }
    }
}
