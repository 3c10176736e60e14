using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dflare.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Clusters : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "clusters",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    labels = table.Column<string>(type: "TEXT", nullable: false),
                    project = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    type = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    spec = table.Column<string>(type: "TEXT", nullable: false),
                    running_version = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    runtime = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    phase = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    reason = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    operation = table.Column<Guid>(type: "TEXT", nullable: true),
                    requested_at = table.Column<long>(type: "INTEGER", nullable: false),
                    access = table.Column<string>(type: "TEXT", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    resource_version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_clusters", x => x.id);
                    table.ForeignKey(
                        name: "fk_clusters_projects_tenant_id_project",
                        columns: x => new { x.tenant_id, x.project },
                        principalTable: "projects",
                        principalColumns: new[] { "tenant_id", "name" },
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_clusters_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "placement_lock",
                columns: table => new
                {
                    id = table.Column<int>(type: "INTEGER", nullable: false),
                    passes = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_placement_lock", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "tenant_quotas",
                columns: table => new
                {
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    gpu_model = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    max_gpus = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_tenant_quotas", x => new { x.tenant_id, x.gpu_model });
                    table.ForeignKey(
                        name: "fk_tenant_quotas_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "cluster_mounts",
                columns: table => new
                {
                    cluster_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    volume_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    mount_path = table.Column<string>(type: "TEXT", maxLength: 512, nullable: false),
                    read_only = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_cluster_mounts", x => new { x.cluster_id, x.volume_id });
                    table.ForeignKey(
                        name: "fk_cluster_mounts_clusters_cluster_id",
                        column: x => x.cluster_id,
                        principalTable: "clusters",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_cluster_mounts_volumes_volume_id",
                        column: x => x.volume_id,
                        principalTable: "volumes",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "node_allocations",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    node_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    node = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    cluster_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    pool = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    gpu_model = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    gpus = table.Column<int>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_node_allocations", x => x.id);
                    table.ForeignKey(
                        name: "fk_node_allocations_clusters_cluster_id",
                        column: x => x.cluster_id,
                        principalTable: "clusters",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_node_allocations_nodes_node_id",
                        column: x => x.node_id,
                        principalTable: "nodes",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.InsertData(
                table: "placement_lock",
                columns: new[] { "id", "passes" },
                values: new object[] { 1, 0L });

            migrationBuilder.CreateIndex(
                name: "ix_cluster_mounts_volume_id",
                table: "cluster_mounts",
                column: "volume_id");

            migrationBuilder.CreateIndex(
                name: "ix_clusters_phase",
                table: "clusters",
                column: "phase");

            migrationBuilder.CreateIndex(
                name: "ix_clusters_tenant_id_name",
                table: "clusters",
                columns: new[] { "tenant_id", "name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_clusters_tenant_id_project",
                table: "clusters",
                columns: new[] { "tenant_id", "project" });

            migrationBuilder.CreateIndex(
                name: "ix_node_allocations_cluster_id",
                table: "node_allocations",
                column: "cluster_id");

            migrationBuilder.CreateIndex(
                name: "ix_node_allocations_node_id",
                table: "node_allocations",
                column: "node_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_node_allocations_tenant_id",
                table: "node_allocations",
                column: "tenant_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "cluster_mounts");

            migrationBuilder.DropTable(
                name: "node_allocations");

            migrationBuilder.DropTable(
                name: "placement_lock");

            migrationBuilder.DropTable(
                name: "tenant_quotas");

            migrationBuilder.DropTable(
                name: "clusters");
        }
    }
}
