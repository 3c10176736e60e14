using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dflare.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Inventory : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "sites",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    display_name = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    location = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    labels = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    resource_version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sites", x => x.id);
                    table.UniqueConstraint("ak_sites_name", x => x.name);
                });

            migrationBuilder.CreateTable(
                name: "skus",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    gpu_model = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    gpu_count = table.Column<int>(type: "INTEGER", nullable: false),
                    mig_capable = table.Column<bool>(type: "INTEGER", nullable: false),
                    cpus = table.Column<int>(type: "INTEGER", nullable: false),
                    memory_gi_b = table.Column<int>(type: "INTEGER", nullable: false),
                    nics = table.Column<int>(type: "INTEGER", nullable: false),
                    hcas = table.Column<int>(type: "INTEGER", nullable: false),
                    labels = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    resource_version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_skus", x => x.id);
                    table.UniqueConstraint("ak_skus_name", x => x.name);
                });

            migrationBuilder.CreateTable(
                name: "racks",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    site = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    position = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    ethernet_leaf = table.Column<string>(type: "TEXT", maxLength: 63, nullable: true),
                    infiniband_leaf = table.Column<string>(type: "TEXT", maxLength: 63, nullable: true),
                    labels = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    resource_version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_racks", x => x.id);
                    table.UniqueConstraint("ak_racks_name", x => x.name);
                    table.ForeignKey(
                        name: "fk_racks_sites_site",
                        column: x => x.site,
                        principalTable: "sites",
                        principalColumn: "name",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "nodes",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    rack = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    sku = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    rack_unit = table.Column<int>(type: "INTEGER", nullable: true),
                    bmc_address = table.Column<string>(type: "TEXT", maxLength: 512, nullable: false),
                    bmc_username = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    bmc_password_sealed = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: false),
                    state = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    labels = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    resource_version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_nodes", x => x.id);
                    table.ForeignKey(
                        name: "fk_nodes_racks_rack",
                        column: x => x.rack,
                        principalTable: "racks",
                        principalColumn: "name",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_nodes_skus_sku",
                        column: x => x.sku,
                        principalTable: "skus",
                        principalColumn: "name",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "node_gpus",
                columns: table => new
                {
                    node_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    index = table.Column<int>(type: "INTEGER", nullable: false),
                    slot = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    model = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    serial_number = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_node_gpus", x => new { x.node_id, x.index });
                    table.ForeignKey(
                        name: "fk_node_gpus_nodes_node_id",
                        column: x => x.node_id,
                        principalTable: "nodes",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_node_gpus_serial_number",
                table: "node_gpus",
                column: "serial_number",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_nodes_bmc_address",
                table: "nodes",
                column: "bmc_address",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_nodes_name",
                table: "nodes",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_nodes_rack",
                table: "nodes",
                column: "rack");

            migrationBuilder.CreateIndex(
                name: "ix_nodes_sku",
                table: "nodes",
                column: "sku");

            migrationBuilder.CreateIndex(
                name: "ix_nodes_state",
                table: "nodes",
                column: "state");

            migrationBuilder.CreateIndex(
                name: "ix_racks_name",
                table: "racks",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_racks_site",
                table: "racks",
                column: "site");

            migrationBuilder.CreateIndex(
                name: "ix_skus_name",
                table: "skus",
                column: "name",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "node_gpus");

            migrationBuilder.DropTable(
                name: "nodes");

            migrationBuilder.DropTable(
                name: "racks");

            migrationBuilder.DropTable(
                name: "skus");

            migrationBuilder.DropTable(
                name: "sites");
        }
    }
}
