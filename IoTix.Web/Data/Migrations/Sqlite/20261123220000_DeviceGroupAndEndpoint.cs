using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IoTix.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class DeviceGroupAndEndpoint : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Endpoint",
                table: "sim_devices",
                type: "TEXT",
                maxLength: 300,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "GroupId",
                table: "sim_devices",
                type: "TEXT",
                maxLength: 200,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_sim_devices_GroupId",
                table: "sim_devices",
                column: "GroupId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_sim_devices_GroupId",
                table: "sim_devices");

            migrationBuilder.DropColumn(
                name: "Endpoint",
                table: "sim_devices");

            migrationBuilder.DropColumn(
                name: "GroupId",
                table: "sim_devices");
        }
    }
}
