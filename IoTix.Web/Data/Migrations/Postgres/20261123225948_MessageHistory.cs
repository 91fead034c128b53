using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace IoTix.Web.Data.Migrations.Postgres
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
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    TenantId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false, defaultValue: "default"),
                    Timestamp = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Reason = table.Column<int>(type: "integer", nullable: false),
                    ClientId = table.Column<string>(type: "text", nullable: false),
                    PublisherClientId = table.Column<string>(type: "text", nullable: true),
                    PayloadBytes = table.Column<long>(type: "bigint", nullable: false),
                    Topic = table.Column<string>(type: "text", nullable: false),
                    Payload = table.Column<byte[]>(type: "bytea", nullable: false),
                    QualityOfService = table.Column<int>(type: "integer", nullable: false),
                    Retain = table.Column<bool>(type: "boolean", nullable: false),
                    ContentType = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: true),
                    ResponseTopic = table.Column<string>(type: "text", nullable: true),
                    CorrelationData = table.Column<byte[]>(type: "bytea", nullable: true),
                    PayloadFormatIndicator = table.Column<int>(type: "integer", nullable: false),
                    MessageExpiryInterval = table.Column<long>(type: "bigint", nullable: false),
                    UserProperties = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_broker_dead_letters", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "broker_history",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    TenantId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false, defaultValue: "default"),
                    Timestamp = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ClientId = table.Column<string>(type: "text", nullable: false),
                    Topic = table.Column<string>(type: "text", nullable: false),
                    Payload = table.Column<byte[]>(type: "bytea", nullable: false),
                    QualityOfService = table.Column<int>(type: "integer", nullable: false),
                    Retain = table.Column<bool>(type: "boolean", nullable: false),
                    ContentType = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: true),
                    ResponseTopic = table.Column<string>(type: "text", nullable: true),
                    CorrelationData = table.Column<byte[]>(type: "bytea", nullable: true),
                    PayloadFormatIndicator = table.Column<int>(type: "integer", nullable: false),
                    MessageExpiryInterval = table.Column<long>(type: "bigint", nullable: false),
                    UserProperties = table.Column<string>(type: "text", nullable: true)
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
