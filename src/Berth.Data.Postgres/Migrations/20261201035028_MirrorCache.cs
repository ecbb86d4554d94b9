using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Berth.Data.Postgres.Migrations
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
                    Upstream = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false, collation: "C"),
                    NotBefore = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_mirror_backoffs", x => x.Upstream);
                });

            migrationBuilder.CreateTable(
                name: "mirror_tags",
                columns: table => new
                {
                    Repository = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false, collation: "C"),
                    Tag = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false, collation: "C"),
                    Digest = table.Column<string>(type: "character varying(140)", maxLength: 140, nullable: false, collation: "C"),
                    CheckedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
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
