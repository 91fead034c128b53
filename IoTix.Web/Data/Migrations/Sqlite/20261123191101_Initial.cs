using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IoTix.Web.Data.Migrations.Sqlite
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
                    Topic = table.Column<string>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Payload = table.Column<byte[]>(type: "BLOB", nullable: false),
                    QualityOfService = table.Column<int>(type: "INTEGER", nullable: false),
                    Retain = table.Column<bool>(type: "INTEGER", nullable: false),
                    ContentType = table.Column<string>(type: "TEXT", nullable: true),
                    ResponseTopic = table.Column<string>(type: "TEXT", nullable: true),
                    CorrelationData = table.Column<byte[]>(type: "BLOB", nullable: true),
                    PayloadFormatIndicator = table.Column<int>(type: "INTEGER", nullable: false),
                    MessageExpiryInterval = table.Column<long>(type: "INTEGER", nullable: false),
                    UserProperties = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_broker_retained_messages", x => x.Topic);
                });

            migrationBuilder.CreateTable(
                name: "broker_sessions",
                columns: table => new
                {
                    ClientId = table.Column<string>(type: "TEXT", nullable: false),
                    ExpirySeconds = table.Column<long>(type: "INTEGER", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_broker_sessions", x => x.ClientId);
                });

            migrationBuilder.CreateTable(
                name: "broker_queued_messages",
                columns: table => new
                {
                    ClientId = table.Column<string>(type: "TEXT", nullable: false),
                    Sequence = table.Column<long>(type: "INTEGER", nullable: false),
                    Topic = table.Column<string>(type: "TEXT", nullable: false),
                    Payload = table.Column<byte[]>(type: "BLOB", nullable: false),
                    QualityOfService = table.Column<int>(type: "INTEGER", nullable: false),
                    Retain = table.Column<bool>(type: "INTEGER", nullable: false),
                    ContentType = table.Column<string>(type: "TEXT", nullable: true),
                    ResponseTopic = table.Column<string>(type: "TEXT", nullable: true),
                    CorrelationData = table.Column<byte[]>(type: "BLOB", nullable: true),
                    PayloadFormatIndicator = table.Column<int>(type: "INTEGER", nullable: false),
                    MessageExpiryInterval = table.Column<long>(type: "INTEGER", nullable: false),
                    UserProperties = table.Column<string>(type: "TEXT", nullable: true)
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
                    ClientId = table.Column<string>(type: "TEXT", nullable: false),
                    TopicFilter = table.Column<string>(type: "TEXT", nullable: false),
                    QualityOfService = table.Column<int>(type: "INTEGER", nullable: false),
                    NoLocal = table.Column<bool>(type: "INTEGER", nullable: false),
                    RetainAsPublished = table.Column<bool>(type: "INTEGER", nullable: false),
                    RetainHandling = table.Column<int>(type: "INTEGER", nullable: false)
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
