using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IoTix.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class TenantRuleKeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "PK_rules",
                table: "rules");

            migrationBuilder.AddPrimaryKey(
                name: "PK_rules",
                table: "rules",
                columns: new[] { "TenantId", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "PK_rules",
                table: "rules");

            migrationBuilder.AddPrimaryKey(
                name: "PK_rules",
                table: "rules",
                column: "Id");
        }
    }
}
