using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IoTix.Web.Data.Migrations.Postgres
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
                type: "bigint",
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
