#!/usr/bin/env bash
# Adds a schema migration for both store providers, from the one model: scripts/add-migration.sh AddNodes
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: scripts/add-migration.sh MigrationName" >&2; exit 2; }
cd "$(dirname "$0")/.."
dotnet tool restore >/dev/null
cd src/Dflare.Persistence
dotnet ef migrations add "$1" --context SqliteDflareDbContext -o Migrations/Sqlite
dotnet ef migrations add "$1" --context PostgresDflareDbContext -o Migrations/Postgres
dotnet ef migrations has-pending-model-changes --context SqliteDflareDbContext
dotnet ef migrations has-pending-model-changes --context PostgresDflareDbContext
