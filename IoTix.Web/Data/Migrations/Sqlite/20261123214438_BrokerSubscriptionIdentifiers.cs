using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IoTix.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class BrokerSubscriptionIdentifiers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "SubscriptionIdentifier",
                table: "broker_subscriptions",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "SubscriptionIdentifier",
                table: "broker_subscriptions");
        }
    }
}
