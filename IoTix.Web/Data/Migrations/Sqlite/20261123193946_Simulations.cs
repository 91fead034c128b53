using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IoTix.Web.Data.Migrations.Sqlite
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
                    Key = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Value = table.Column<string>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_settings", x => x.Key);
                });

            migrationBuilder.CreateTable(
                name: "sim_devices",
                columns: table => new
                {
                    DeviceId = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    ModelId = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    DesiredRunning = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sim_devices", x => x.DeviceId);
                });

            migrationBuilder.CreateTable(
                name: "sim_groups",
                columns: table => new
                {
                    GroupId = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    ModelId = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Count = table.Column<int>(type: "INTEGER", nullable: false),
                    IdPattern = table.Column<string>(type: "TEXT", nullable: false),
                    LaunchConfig = table.Column<string>(type: "TEXT", nullable: true),
                    Running = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sim_groups", x => x.GroupId);
                });

            migrationBuilder.CreateTable(
                name: "sim_models",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Json = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sim_models", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "sim_runs",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    GroupId = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    StartedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Strategy = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    LaunchConfig = table.Column<string>(type: "TEXT", nullable: false),
                    Seed = table.Column<long>(type: "INTEGER", nullable: false),
                    DeviceCount = table.Column<int>(type: "INTEGER", nullable: false),
                    PlannedDevices = table.Column<int>(type: "INTEGER", nullable: false),
                    ExpectedDurationMs = table.Column<long>(type: "INTEGER", nullable: false),
                    Resumed = table.Column<bool>(type: "INTEGER", nullable: false),
                    EndedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    EndReason = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    RunningDevicesAtEnd = table.Column<int>(type: "INTEGER", nullable: true),
                    MessagesSentAtEnd = table.Column<long>(type: "INTEGER", nullable: true),
                    MessagesFailedAtEnd = table.Column<long>(type: "INTEGER", nullable: true),
                    BytesSentAtEnd = table.Column<long>(type: "INTEGER", nullable: true)
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
