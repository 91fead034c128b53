using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IoTix.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "broker_retained_messages",
                columns: table => new
                {
                    Topic = table.Column<string>(type: "text", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Payload = table.Column<byte[]>(type: "bytea", nullable: false),
                    QualityOfService = table.Column<int>(type: "integer", nullable: false),
                    Retain = table.Column<bool>(type: "boolean", nullable: false),
                    ContentType = table.Column<string>(type: "text", nullable: true),
                    ResponseTopic = table.Column<string>(type: "text", nullable: true),
                    CorrelationData = table.Column<byte[]>(type: "bytea", nullable: true),
                    PayloadFormatIndicator = table.Column<int>(type: "integer", nullable: false),
                    MessageExpiryInterval = table.Column<long>(type: "bigint", nullable: false),
                    UserProperties = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_broker_retained_messages", x => x.Topic);
                });

            migrationBuilder.CreateTable(
                name: "broker_sessions",
                columns: table => new
                {
                    ClientId = table.Column<string>(type: "text", nullable: false),
                    ExpirySeconds = table.Column<long>(type: "bigint", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_broker_sessions", x => x.ClientId);
                });

            migrationBuilder.CreateTable(
                name: "broker_queued_messages",
                columns: table => new
                {
                    ClientId = table.Column<string>(type: "text", nullable: false),
                    Sequence = table.Column<long>(type: "bigint", nullable: false),
                    Topic = table.Column<string>(type: "text", nullable: false),
                    Payload = table.Column<byte[]>(type: "bytea", nullable: false),
                    QualityOfService = table.Column<int>(type: "integer", nullable: false),
                    Retain = table.Column<bool>(type: "boolean", nullable: false),
                    ContentType = table.Column<string>(type: "text", nullable: true),
                    ResponseTopic = table.Column<string>(type: "text", nullable: true),
                    CorrelationData = table.Column<byte[]>(type: "bytea", nullable: true),
                    PayloadFormatIndicator = table.Column<int>(type: "integer", nullable: false),
                    MessageExpiryInterval = table.Column<long>(type: "bigint", nullable: false),
                    UserProperties = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_broker_queued_messages", x => new { x.ClientId, x.Sequence });
                    table.ForeignKey(
                        name: "FK_broker_queued_messages_broker_sessions_ClientId",
                        column: x => x.ClientId,
                        principalTable: "broker_sessions",
                        principalColumn: "ClientId",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "broker_subscriptions",
                columns: table => new
                {
                    ClientId = table.Column<string>(type: "text", nullable: false),
                    TopicFilter = table.Column<string>(type: "text", nullable: false),
                    QualityOfService = table.Column<int>(type: "integer", nullable: false),
                    NoLocal = table.Column<bool>(type: "boolean", nullable: false),
                    RetainAsPublished = table.Column<bool>(type: "boolean", nullable: false),
                    RetainHandling = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_broker_subscriptions", x => new { x.ClientId, x.TopicFilter });
                    table.ForeignKey(
                        name: "FK_broker_subscriptions_broker_sessions_ClientId",
                        column: x => x.ClientId,
                        principalTable: "broker_sessions",
                        principalColumn: "ClientId",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_broker_sessions_ExpiresAt",
                table: "broker_sessions",
                column: "ExpiresAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "broker_queued_messages");

            migrationBuilder.DropTable(
                name: "broker_retained_messages");

            migrationBuilder.DropTable(
                name: "broker_subscriptions");

            migrationBuilder.DropTable(
                name: "broker_sessions");
        }
    }
}
