using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IoTix.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class TenantSimulationKeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_sim_runs_GroupId_StartedAt",
                table: "sim_runs");

            migrationBuilder.DropPrimaryKey(
                name: "PK_sim_models",
                table: "sim_models");

            migrationBuilder.DropPrimaryKey(
                name: "PK_sim_groups",
                table: "sim_groups");

            migrationBuilder.DropPrimaryKey(
                name: "PK_sim_devices",
                table: "sim_devices");

            migrationBuilder.AddPrimaryKey(
                name: "PK_sim_models",
                table: "sim_models",
                columns: new[] { "TenantId", "Id" });

            migrationBuilder.AddPrimaryKey(
                name: "PK_sim_groups",
                table: "sim_groups",
                columns: new[] { "TenantId", "GroupId" });

            migrationBuilder.AddPrimaryKey(
                name: "PK_sim_devices",
                table: "sim_devices",
                columns: new[] { "TenantId", "DeviceId" });

            migrationBuilder.CreateIndex(
                name: "IX_sim_runs_TenantId_GroupId_StartedAt",
                table: "sim_runs",
                columns: new[] { "TenantId", "GroupId", "StartedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_sim_runs_TenantId_GroupId_StartedAt",
                table: "sim_runs");

            migrationBuilder.DropPrimaryKey(
                name: "PK_sim_models",
                table: "sim_models");

            migrationBuilder.DropPrimaryKey(
                name: "PK_sim_groups",
                table: "sim_groups");

            migrationBuilder.DropPrimaryKey(
                name: "PK_sim_devices",
                table: "sim_devices");

            migrationBuilder.AddPrimaryKey(
                name: "PK_sim_models",
                table: "sim_models",
                column: "Id");

            migrationBuilder.AddPrimaryKey(
                name: "PK_sim_groups",
                table: "sim_groups",
                column: "GroupId");

            migrationBuilder.AddPrimaryKey(
                name: "PK_sim_devices",
                table: "sim_devices",
                column: "DeviceId");

            migrationBuilder.CreateIndex(
                name: "IX_sim_runs_GroupId_StartedAt",
                table: "sim_runs",
                columns: new[] { "GroupId", "StartedAt" });
        }
    }
}
