using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dflare.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Volumes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddUniqueConstraint(
                name: "ak_projects_tenant_id_name",
                table: "projects",
                columns: new[] { "tenant_id", "name" });

            migrationBuilder.CreateTable(
                name: "storage_backends",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    labels = table.Column<string>(type: "TEXT", nullable: false),
                    tier = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    driver = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    path = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: false),
                    settings = table.Column<string>(type: "TEXT", nullable: false),
                    capacity_bytes = table.Column<long>(type: "INTEGER", nullable: false),
                    default_volume_bytes = table.Column<long>(type: "INTEGER", nullable: false),
                    max_bytes_per_tenant = table.Column<long>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    resource_version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_storage_backends", x => x.id);
                    table.UniqueConstraint("ak_storage_backends_name", x => x.name);
                });

            migrationBuilder.CreateTable(
                name: "volumes",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    labels = table.Column<string>(type: "TEXT", nullable: false),
                    project = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    backend = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    size_bytes = table.Column<long>(type: "INTEGER", nullable: false),
                    inodes = table.Column<long>(type: "INTEGER", nullable: false),
                    access_mode = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    mount_path = table.Column<string>(type: "TEXT", maxLength: 512, nullable: false),
                    acl = table.Column<string>(type: "TEXT", nullable: false),
                    access_map = table.Column<string>(type: "TEXT", nullable: false),
                    phase = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    reason = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    location = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    used_bytes = table.Column<long>(type: "INTEGER", nullable: false),
                    used_inodes = table.Column<long>(type: "INTEGER", nullable: false),
                    writes_stopped = table.Column<bool>(type: "INTEGER", nullable: false),
                    usage_at = table.Column<long>(type: "INTEGER", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    resource_version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_volumes", x => x.id);
                    table.ForeignKey(
                        name: "fk_volumes_projects_tenant_id_project",
                        columns: x => new { x.tenant_id, x.project },
                        principalTable: "projects",
                        principalColumns: new[] { "tenant_id", "name" },
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_volumes_storage_backends_backend",
                        column: x => x.backend,
                        principalTable: "storage_backends",
                        principalColumn: "name",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_volumes_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_storage_backends_name",
                table: "storage_backends",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_volumes_backend",
                table: "volumes",
                column: "backend");

            migrationBuilder.CreateIndex(
                name: "ix_volumes_tenant_id_name",
                table: "volumes",
                columns: new[] { "tenant_id", "name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_volumes_tenant_id_project",
                table: "volumes",
                columns: new[] { "tenant_id", "project" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "volumes");

            migrationBuilder.DropTable(
                name: "storage_backends");

            migrationBuilder.DropUniqueConstraint(
                name: "ak_projects_tenant_id_name",
                table: "projects");
        }
    }
}
