using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IoTix.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class MessageHistory : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "broker_dead_letters",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    TenantId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false, defaultValue: "default"),
                    Timestamp = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Reason = table.Column<int>(type: "INTEGER", nullable: false),
                    ClientId = table.Column<string>(type: "TEXT", nullable: false),
                    PublisherClientId = table.Column<string>(type: "TEXT", nullable: true),
                    PayloadBytes = table.Column<long>(type: "INTEGER", nullable: false),
                    Topic = table.Column<string>(type: "TEXT", nullable: false),
                    Payload = table.Column<byte[]>(type: "BLOB", nullable: false),
                    QualityOfService = table.Column<int>(type: "INTEGER", nullable: false),
                    Retain = table.Column<bool>(type: "INTEGER", nullable: false),
                    ContentType = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    ResponseTopic = table.Column<string>(type: "TEXT", nullable: true),
                    CorrelationData = table.Column<byte[]>(type: "BLOB", nullable: true),
                    PayloadFormatIndicator = table.Column<int>(type: "INTEGER", nullable: false),
                    MessageExpiryInterval = table.Column<long>(type: "INTEGER", nullable: false),
                    UserProperties = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_broker_dead_letters", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "broker_history",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    TenantId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false, defaultValue: "default"),
                    Timestamp = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ClientId = table.Column<string>(type: "TEXT", nullable: false),
                    Topic = table.Column<string>(type: "TEXT", nullable: false),
                    Payload = table.Column<byte[]>(type: "BLOB", nullable: false),
                    QualityOfService = table.Column<int>(type: "INTEGER", nullable: false),
                    Retain = table.Column<bool>(type: "INTEGER", nullable: false),
                    ContentType = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    ResponseTopic = table.Column<string>(type: "TEXT", nullable: true),
                    CorrelationData = table.Column<byte[]>(type: "BLOB", nullable: true),
                    PayloadFormatIndicator = table.Column<int>(type: "INTEGER", nullable: false),
                    MessageExpiryInterval = table.Column<long>(type: "INTEGER", nullable: false),
                    UserProperties = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_broker_history", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_broker_dead_letters_TenantId",
                table: "broker_dead_letters",
                column: "TenantId");

            migrationBuilder.CreateIndex(
                name: "IX_broker_dead_letters_TenantId_Id",
                table: "broker_dead_letters",
                columns: new[] { "TenantId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_broker_dead_letters_TenantId_Reason_Id",
                table: "broker_dead_letters",
                columns: new[] { "TenantId", "Reason", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_broker_history_TenantId",
                table: "broker_history",
                column: "TenantId");

            migrationBuilder.CreateIndex(
                name: "IX_broker_history_TenantId_Timestamp_Id",
                table: "broker_history",
                columns: new[] { "TenantId", "Timestamp", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_broker_history_Timestamp",
                table: "broker_history",
                column: "Timestamp");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "broker_dead_letters");

            migrationBuilder.DropTable(
                name: "broker_history");
        }
    }
}
