using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dflare.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Network : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "fabrics",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    labels = table.Column<string>(type: "TEXT", nullable: false),
                    type = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    driver = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    spec = table.Column<string>(type: "TEXT", nullable: false),
                    synced_at = table.Column<long>(type: "INTEGER", nullable: true),
                    sync_error = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    resource_version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_fabrics", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "ib_partitions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    fabric_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    p_key = table.Column<int>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_ib_partitions", x => x.id);
                    table.ForeignKey(
                        name: "fk_ib_partitions_fabrics_fabric_id",
                        column: x => x.fabric_id,
                        principalTable: "fabrics",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_ib_partitions_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "network_pools",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    labels = table.Column<string>(type: "TEXT", nullable: false),
                    fabric_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    start = table.Column<long>(type: "INTEGER", nullable: false),
                    end = table.Column<long>(type: "INTEGER", nullable: false),
                    prefix = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    block_length = table.Column<int>(type: "INTEGER", nullable: false),
                    leaves = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    resource_version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_network_pools", x => x.id);
                    table.ForeignKey(
                        name: "fk_network_pools_fabrics_fabric_id",
                        column: x => x.fabric_id,
                        principalTable: "fabrics",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "vpcs",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    labels = table.Column<string>(type: "TEXT", nullable: false),
                    project = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    fabric_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    cidr = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    infiniband_fabric_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    vrf_id = table.Column<int>(type: "INTEGER", nullable: false),
                    l3_vni = table.Column<int>(type: "INTEGER", nullable: false),
                    phase = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    reason = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    resource_version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_vpcs", x => x.id);
                    table.ForeignKey(
                        name: "fk_vpcs_fabrics_fabric_id",
                        column: x => x.fabric_id,
                        principalTable: "fabrics",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_vpcs_fabrics_infiniband_fabric_id",
                        column: x => x.infiniband_fabric_id,
                        principalTable: "fabrics",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_vpcs_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "ib_partition_members",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    partition_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    port_guid = table.Column<string>(type: "TEXT", maxLength: 18, nullable: false),
                    node = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    membership = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_ib_partition_members", x => x.id);
                    table.ForeignKey(
                        name: "fk_ib_partition_members_ib_partitions_partition_id",
                        column: x => x.partition_id,
                        principalTable: "ib_partitions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "network_allocations",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    pool_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    scope = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    value = table.Column<long>(type: "INTEGER", nullable: false),
                    owner_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_network_allocations", x => x.id);
                    table.ForeignKey(
                        name: "fk_network_allocations_network_pools_pool_id",
                        column: x => x.pool_id,
                        principalTable: "network_pools",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "subnets",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    labels = table.Column<string>(type: "TEXT", nullable: false),
                    vpc_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    cidr = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ipv6_cidr = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    l2_vni = table.Column<int>(type: "INTEGER", nullable: false),
                    vlans = table.Column<string>(type: "TEXT", nullable: false),
                    ingress = table.Column<string>(type: "TEXT", nullable: false),
                    ingress_default = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    phase = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    reason = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    resource_version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_subnets", x => x.id);
                    table.ForeignKey(
                        name: "fk_subnets_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_subnets_vpcs_vpc_id",
                        column: x => x.vpc_id,
                        principalTable: "vpcs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "network_attachments",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    subnet_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    node = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    nic = table.Column<string>(type: "TEXT", maxLength: 15, nullable: false),
                    leaf = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    port = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    address = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ipv6_address = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_network_attachments", x => x.id);
                    table.ForeignKey(
                        name: "fk_network_attachments_subnets_subnet_id",
                        column: x => x.subnet_id,
                        principalTable: "subnets",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_fabrics_name",
                table: "fabrics",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_ib_partition_members_partition_id_port_guid",
                table: "ib_partition_members",
                columns: new[] { "partition_id", "port_guid" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_ib_partitions_fabric_id_p_key",
                table: "ib_partitions",
                columns: new[] { "fabric_id", "p_key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_ib_partitions_tenant_id_fabric_id",
                table: "ib_partitions",
                columns: new[] { "tenant_id", "fabric_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_network_allocations_owner_id",
                table: "network_allocations",
                column: "owner_id");

            migrationBuilder.CreateIndex(
                name: "ix_network_allocations_pool_id_scope_value",
                table: "network_allocations",
                columns: new[] { "pool_id", "scope", "value" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_network_attachments_node_nic",
                table: "network_attachments",
                columns: new[] { "node", "nic" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_network_attachments_subnet_id_address",
                table: "network_attachments",
                columns: new[] { "subnet_id", "address" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_network_attachments_subnet_id_node",
                table: "network_attachments",
                columns: new[] { "subnet_id", "node" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_network_pools_fabric_id",
                table: "network_pools",
                column: "fabric_id");

            migrationBuilder.CreateIndex(
                name: "ix_network_pools_name",
                table: "network_pools",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_subnets_tenant_id_name",
                table: "subnets",
                columns: new[] { "tenant_id", "name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_subnets_vpc_id",
                table: "subnets",
                column: "vpc_id");

            migrationBuilder.CreateIndex(
                name: "ix_vpcs_fabric_id",
                table: "vpcs",
                column: "fabric_id");

            migrationBuilder.CreateIndex(
                name: "ix_vpcs_infiniband_fabric_id",
                table: "vpcs",
                column: "infiniband_fabric_id");

            migrationBuilder.CreateIndex(
                name: "ix_vpcs_tenant_id_name",
                table: "vpcs",
                columns: new[] { "tenant_id", "name" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ib_partition_members");

            migrationBuilder.DropTable(
                name: "network_allocations");

            migrationBuilder.DropTable(
                name: "network_attachments");

            migrationBuilder.DropTable(
                name: "ib_partitions");

            migrationBuilder.DropTable(
                name: "network_pools");

            migrationBuilder.DropTable(
                name: "subnets");

            migrationBuilder.DropTable(
                name: "vpcs");

            migrationBuilder.DropTable(
                name: "fabrics");
        }
    }
}
