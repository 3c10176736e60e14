using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dflare.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Metering : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "billing_records",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    reverses = table.Column<Guid>(type: "uuid", nullable: true),
                    tenant = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    project = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    user = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    cluster = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    meter = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    dimension = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    hour = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    quantity = table.Column<decimal>(type: "numeric(38,12)", precision: 38, scale: 12, nullable: false),
                    unit_price = table.Column<decimal>(type: "numeric(38,12)", precision: 38, scale: 12, nullable: false),
                    amount = table.Column<decimal>(type: "numeric(38,12)", precision: 38, scale: 12, nullable: false),
                    currency = table.Column<string>(type: "character varying(3)", maxLength: 3, nullable: false),
                    price_book = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    events = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_billing_records", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "budgets",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false, collation: "C"),
                    labels = table.Column<string>(type: "text", nullable: false),
                    project = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: true),
                    amount = table.Column<decimal>(type: "numeric(20,4)", precision: 20, scale: 4, nullable: false),
                    currency = table.Column<string>(type: "character varying(3)", maxLength: 3, nullable: false),
                    thresholds = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    resource_version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_budgets", x => x.id);
                    table.ForeignKey(
                        name: "fk_budgets_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "price_books",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false, collation: "C"),
                    labels = table.Column<string>(type: "text", nullable: false),
                    currency = table.Column<string>(type: "character varying(3)", maxLength: 3, nullable: false),
                    effective_from = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    tenant = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: true),
                    discount_percent = table.Column<decimal>(type: "numeric(9,4)", precision: 9, scale: 4, nullable: false),
                    prices = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    resource_version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_price_books", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "usage_events",
                columns: table => new
                {
                    source = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    event_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    type = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    subject = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    time = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    tenant = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    data = table.Column<string>(type: "text", nullable: false),
                    received_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_usage_events", x => new { x.source, x.event_id });
                });

            migrationBuilder.CreateTable(
                name: "budget_alerts",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    budget_id = table.Column<Guid>(type: "uuid", nullable: false),
                    period = table.Column<string>(type: "character varying(7)", maxLength: 7, nullable: false),
                    threshold = table.Column<int>(type: "integer", nullable: false),
                    spent = table.Column<decimal>(type: "numeric(38,12)", precision: 38, scale: 12, nullable: false),
                    raised_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_budget_alerts", x => x.id);
                    table.ForeignKey(
                        name: "fk_budget_alerts_budgets_budget_id",
                        column: x => x.budget_id,
                        principalTable: "budgets",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_billing_records_reverses",
                table: "billing_records",
                column: "reverses",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_billing_records_tenant_hour",
                table: "billing_records",
                columns: new[] { "tenant", "hour" });

            migrationBuilder.CreateIndex(
                name: "ix_budget_alerts_budget_id_period_threshold",
                table: "budget_alerts",
                columns: new[] { "budget_id", "period", "threshold" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_budgets_tenant_id_name",
                table: "budgets",
                columns: new[] { "tenant_id", "name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_price_books_name",
                table: "price_books",
                column: "name",
                unique: true);

            // Billing records are append-only: the store itself refuses to change or remove one (TRUNCATE too).
            migrationBuilder.Sql("""
                CREATE FUNCTION billing_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  RAISE EXCEPTION 'billing records are append-only: add a reversal instead' USING ERRCODE = 'restrict_violation';
                END $$;
                CREATE TRIGGER billing_records_no_change BEFORE UPDATE OR DELETE ON billing_records FOR EACH ROW EXECUTE FUNCTION billing_records_append_only();
                CREATE TRIGGER billing_records_no_truncate BEFORE TRUNCATE ON billing_records FOR EACH STATEMENT EXECUTE FUNCTION billing_records_append_only();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS billing_records_no_truncate ON billing_records; DROP TRIGGER IF EXISTS billing_records_no_change ON billing_records; DROP FUNCTION IF EXISTS billing_records_append_only();");

            migrationBuilder.DropTable(
                name: "billing_records");

            migrationBuilder.DropTable(
                name: "budget_alerts");

            migrationBuilder.DropTable(
                name: "price_books");

            migrationBuilder.DropTable(
                name: "usage_events");

            migrationBuilder.DropTable(
                name: "budgets");
        }
    }
}
