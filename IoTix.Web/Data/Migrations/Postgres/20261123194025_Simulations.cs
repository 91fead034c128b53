using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace IoTix.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Simulations : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "settings",
                columns: table => new
                {
                    Key = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Value = table.Column<string>(type: "text", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_settings", x => x.Key);
                });

            migrationBuilder.CreateTable(
                name: "sim_devices",
                columns: table => new
                {
                    DeviceId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    ModelId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    DesiredRunning = table.Column<bool>(type: "boolean", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sim_devices", x => x.DeviceId);
                });

            migrationBuilder.CreateTable(
                name: "sim_groups",
                columns: table => new
                {
                    GroupId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    ModelId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Count = table.Column<int>(type: "integer", nullable: false),
                    IdPattern = table.Column<string>(type: "text", nullable: false),
                    LaunchConfig = table.Column<string>(type: "text", nullable: true),
                    Running = table.Column<bool>(type: "boolean", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sim_groups", x => x.GroupId);
                });

            migrationBuilder.CreateTable(
                name: "sim_models",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Json = table.Column<string>(type: "text", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sim_models", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "sim_runs",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    GroupId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    StartedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Strategy = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    LaunchConfig = table.Column<string>(type: "text", nullable: false),
                    Seed = table.Column<long>(type: "bigint", nullable: false),
                    DeviceCount = table.Column<int>(type: "integer", nullable: false),
                    PlannedDevices = table.Column<int>(type: "integer", nullable: false),
                    ExpectedDurationMs = table.Column<long>(type: "bigint", nullable: false),
                    Resumed = table.Column<bool>(type: "boolean", nullable: false),
                    EndedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    EndReason = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    RunningDevicesAtEnd = table.Column<int>(type: "integer", nullable: true),
                    MessagesSentAtEnd = table.Column<long>(type: "bigint", nullable: true),
                    MessagesFailedAtEnd = table.Column<long>(type: "bigint", nullable: true),
                    BytesSentAtEnd = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sim_runs", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_sim_devices_ModelId",
                table: "sim_devices",
                column: "ModelId");

            migrationBuilder.CreateIndex(
                name: "IX_sim_groups_ModelId",
                table: "sim_groups",
                column: "ModelId");

            migrationBuilder.CreateIndex(
                name: "IX_sim_runs_EndedAt",
                table: "sim_runs",
                column: "EndedAt");

            migrationBuilder.CreateIndex(
                name: "IX_sim_runs_GroupId_StartedAt",
                table: "sim_runs",
                columns: new[] { "GroupId", "StartedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "settings");

            migrationBuilder.DropTable(
                name: "sim_devices");

            migrationBuilder.DropTable(
                name: "sim_groups");

            migrationBuilder.DropTable(
                name: "sim_models");

            migrationBuilder.DropTable(
                name: "sim_runs");
        }
    }
}
