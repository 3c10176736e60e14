using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dflare.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Provisioning : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "image",
                table: "nodes",
                type: "character varying(63)",
                maxLength: 63,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "state_reason",
                table: "nodes",
                type: "character varying(1024)",
                maxLength: 1024,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "bootstrap_tokens",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    node_id = table.Column<Guid>(type: "uuid", nullable: false),
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    token_hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    redeemed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_bootstrap_tokens", x => x.id);
                    table.ForeignKey(
                        name: "fk_bootstrap_tokens_nodes_node_id",
                        column: x => x.node_id,
                        principalTable: "nodes",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "certificate_authorities",
                columns: table => new
                {
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false, collation: "C"),
                    certificate_pem = table.Column<string>(type: "text", nullable: false),
                    private_key_sealed = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_certificate_authorities", x => x.name);
                });

            migrationBuilder.CreateTable(
                name: "images",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false, collation: "C"),
                    os = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    kernel = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    gpu_driver = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    cuda = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    url = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: false),
                    sha256 = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    labels = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    resource_version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_images", x => x.id);
                    table.UniqueConstraint("ak_images_name", x => x.name);
                });

            migrationBuilder.CreateTable(
                name: "node_agents",
                columns: table => new
                {
                    node_id = table.Column<Guid>(type: "uuid", nullable: false),
                    certificate_serial = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    previous_certificate_serial = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    certificate_not_after = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    revoked_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    registered_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    last_heartbeat_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    health = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    health_reason = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: true),
                    report = table.Column<string>(type: "text", nullable: true),
                    inventory = table.Column<string>(type: "text", nullable: true),
                    agent_version = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_node_agents", x => x.node_id);
                    table.ForeignKey(
                        name: "fk_node_agents_nodes_node_id",
                        column: x => x.node_id,
                        principalTable: "nodes",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "node_boots",
                columns: table => new
                {
                    node_id = table.Column<Guid>(type: "uuid", nullable: false),
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    image = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    user_data_sealed = table.Column<string>(type: "text", nullable: false),
                    meta_data = table.Column<string>(type: "text", nullable: false),
                    network_config = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    seed_fetched_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    cloud_init_finished_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    failed_stage = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    failure_reason = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_node_boots", x => x.node_id);
                    table.ForeignKey(
                        name: "fk_node_boots_nodes_node_id",
                        column: x => x.node_id,
                        principalTable: "nodes",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "node_transitions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    node_id = table.Column<Guid>(type: "uuid", nullable: false),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    from = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    to = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    reason = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: true),
                    run_id = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_node_transitions", x => x.id);
                    table.ForeignKey(
                        name: "fk_node_transitions_nodes_node_id",
                        column: x => x.node_id,
                        principalTable: "nodes",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_nodes_image",
                table: "nodes",
                column: "image");

            migrationBuilder.CreateIndex(
                name: "ix_bootstrap_tokens_node_id",
                table: "bootstrap_tokens",
                column: "node_id");

            migrationBuilder.CreateIndex(
                name: "ix_bootstrap_tokens_run_id",
                table: "bootstrap_tokens",
                column: "run_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_bootstrap_tokens_token_hash",
                table: "bootstrap_tokens",
                column: "token_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_images_name",
                table: "images",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_node_agents_last_heartbeat_at",
                table: "node_agents",
                column: "last_heartbeat_at");

            migrationBuilder.CreateIndex(
                name: "ix_node_transitions_node_id_at",
                table: "node_transitions",
                columns: new[] { "node_id", "at" });

            migrationBuilder.AddForeignKey(
                name: "fk_nodes_images_image",
                table: "nodes",
                column: "image",
                principalTable: "images",
                principalColumn: "name",
                onDelete: ReferentialAction.Restrict);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_nodes_images_image",
                table: "nodes");

            migrationBuilder.DropTable(
                name: "bootstrap_tokens");

            migrationBuilder.DropTable(
                name: "certificate_authorities");

            migrationBuilder.DropTable(
                name: "images");

            migrationBuilder.DropTable(
                name: "node_agents");

            migrationBuilder.DropTable(
                name: "node_boots");

            migrationBuilder.DropTable(
                name: "node_transitions");

            migrationBuilder.DropIndex(
                name: "ix_nodes_image",
                table: "nodes");

            migrationBuilder.DropColumn(
                name: "image",
                table: "nodes");

            migrationBuilder.DropColumn(
                name: "state_reason",
                table: "nodes");
        }
    }
}
