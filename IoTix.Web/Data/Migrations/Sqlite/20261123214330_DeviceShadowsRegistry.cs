using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IoTix.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class DeviceShadowsRegistry : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "device_shadows",
                columns: table => new
                {
                    ThingName = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    TenantId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Version = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Document = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_device_shadows", x => x.ThingName);
                });

            migrationBuilder.CreateTable(
                name: "registry_devices",
                columns: table => new
                {
                    DeviceId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    TenantId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ClientId = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    Attributes = table.Column<string>(type: "TEXT", nullable: false),
                    Tags = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Online = table.Column<bool>(type: "INTEGER", nullable: false),
                    LastSeenAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    LastConnectedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    LastDisconnectedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_registry_devices", x => x.DeviceId);
                });

            migrationBuilder.CreateIndex(
                name: "IX_device_shadows_TenantId",
                table: "device_shadows",
                column: "TenantId");

            migrationBuilder.CreateIndex(
                name: "IX_registry_devices_ClientId",
                table: "registry_devices",
                column: "ClientId");

            migrationBuilder.CreateIndex(
                name: "IX_registry_devices_TenantId",
                table: "registry_devices",
                column: "TenantId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "device_shadows");

            migrationBuilder.DropTable(
                name: "registry_devices");
        }
    }
}
