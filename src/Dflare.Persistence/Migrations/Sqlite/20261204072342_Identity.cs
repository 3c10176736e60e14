using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dflare.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Identity : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "access_policies",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    realm = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    effect = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    permissions = table.Column<string>(type: "TEXT", nullable: false),
                    conditions = table.Column<string>(type: "TEXT", nullable: false),
                    description = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_access_policies", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "audit_checkpoints",
                columns: table => new
                {
                    sequence = table.Column<long>(type: "INTEGER", nullable: false),
                    hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    at = table.Column<long>(type: "INTEGER", nullable: false),
                    key_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    signature = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_audit_checkpoints", x => x.sequence);
                });

            migrationBuilder.CreateTable(
                name: "audit_entries",
                columns: table => new
                {
                    sequence = table.Column<long>(type: "INTEGER", nullable: false),
                    at = table.Column<long>(type: "INTEGER", nullable: false),
                    tenant = table.Column<string>(type: "TEXT", maxLength: 63, nullable: true),
                    actor = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    action = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false),
                    permission = table.Column<string>(type: "TEXT", maxLength: 63, nullable: true),
                    decision = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    status = table.Column<int>(type: "INTEGER", nullable: false),
                    reason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    correlation_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    previous_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_audit_entries", x => x.sequence);
                });

            migrationBuilder.CreateTable(
                name: "custom_roles",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    realm = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    permissions = table.Column<string>(type: "TEXT", nullable: false),
                    description = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_custom_roles", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "device_authorizations",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    realm = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    device_code_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    user_code = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    client_id = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    state = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    principal_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    expires_at = table.Column<long>(type: "INTEGER", nullable: false),
                    last_polled_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_device_authorizations", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "group_members",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    realm = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    group = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    principal_id = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_group_members", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "principals",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    realm = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    display_name = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    email = table.Column<string>(type: "TEXT", maxLength: 254, nullable: true),
                    secret_hash = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    external_subject = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    disabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_principals", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "realm_federations",
                columns: table => new
                {
                    realm = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    issuer = table.Column<string>(type: "TEXT", maxLength: 512, nullable: false),
                    client_id = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    groups_claim = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    username_claim = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    group_mapping = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_realm_federations", x => x.realm);
                });

            migrationBuilder.CreateTable(
                name: "realm_keys",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    realm = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    key_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    algorithm = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    sealed_private_key = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    retired_at = table.Column<long>(type: "INTEGER", nullable: true),
                    expires_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_realm_keys", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "refresh_tokens",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    realm = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    token_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    family_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    principal_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    client_id = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    expires_at = table.Column<long>(type: "INTEGER", nullable: false),
                    used_at = table.Column<long>(type: "INTEGER", nullable: true),
                    revoked_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_refresh_tokens", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "role_bindings",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    realm = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    subject_kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    subject_name = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    role = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    project = table.Column<string>(type: "TEXT", maxLength: 63, nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_role_bindings", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_access_policies_realm_name",
                table: "access_policies",
                columns: new[] { "realm", "name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_audit_entries_tenant_sequence",
                table: "audit_entries",
                columns: new[] { "tenant", "sequence" });

            migrationBuilder.CreateIndex(
                name: "ix_custom_roles_realm_name",
                table: "custom_roles",
                columns: new[] { "realm", "name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_device_authorizations_device_code_hash",
                table: "device_authorizations",
                column: "device_code_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_device_authorizations_realm_user_code",
                table: "device_authorizations",
                columns: new[] { "realm", "user_code" });

            migrationBuilder.CreateIndex(
                name: "ix_group_members_principal_id",
                table: "group_members",
                column: "principal_id");

            migrationBuilder.CreateIndex(
                name: "ix_group_members_realm_group_principal_id",
                table: "group_members",
                columns: new[] { "realm", "group", "principal_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_principals_realm_name",
                table: "principals",
                columns: new[] { "realm", "name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_realm_federations_issuer",
                table: "realm_federations",
                column: "issuer",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_realm_keys_key_id",
                table: "realm_keys",
                column: "key_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_realm_keys_realm",
                table: "realm_keys",
                column: "realm");

            migrationBuilder.CreateIndex(
                name: "ix_refresh_tokens_family_id",
                table: "refresh_tokens",
                column: "family_id");

            migrationBuilder.CreateIndex(
                name: "ix_refresh_tokens_token_hash",
                table: "refresh_tokens",
                column: "token_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_role_bindings_realm_name",
                table: "role_bindings",
                columns: new[] { "realm", "name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_role_bindings_realm_subject_kind_subject_name",
                table: "role_bindings",
                columns: new[] { "realm", "subject_kind", "subject_name" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "access_policies");

            migrationBuilder.DropTable(
                name: "audit_checkpoints");

            migrationBuilder.DropTable(
                name: "audit_entries");

            migrationBuilder.DropTable(
                name: "custom_roles");

            migrationBuilder.DropTable(
                name: "device_authorizations");

            migrationBuilder.DropTable(
                name: "group_members");

            migrationBuilder.DropTable(
                name: "principals");

            migrationBuilder.DropTable(
                name: "realm_federations");

            migrationBuilder.DropTable(
                name: "realm_keys");

            migrationBuilder.DropTable(
                name: "refresh_tokens");

            migrationBuilder.DropTable(
                name: "role_bindings");
        }
    }
}
