#!/usr/bin/env bash
# Runs the benchmarks, with a throw-away PostgreSQL on loopback for the store benchmarks. Arguments go to
# BenchmarkDotNet, e.g. scripts/bench.sh --filter '*Workflow*'; `scripts/bench.sh fleet 1000` provisions a simulated
# fleet of 1,000 nodes on that PostgreSQL; `scripts/bench.sh ingest 1000000` ingests usage events into it (docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/packages.sh
source scripts/lib/postgres.sh
trap stop_postgres EXIT
ensure_packages postgresql
start_postgres
export DFLARE_BENCH_POSTGRES="${DFLARE_TEST_POSTGRES/Database=postgres/Database=dflare_bench}"
as_pg "$(pg_bin)/createdb" -h 127.0.0.1 -p "$(sed -E 's/.*Port=([0-9]+).*/\1/' <<<"$DFLARE_TEST_POSTGRES")" -U postgres dflare_bench
if [ "${1:-}" = fleet ] || [ "${1:-}" = ingest ]; then
  dotnet run -c Release --project bench/Dflare.Benchmarks -- "$@" postgres
else
  dotnet run -c Release --project bench/Dflare.Benchmarks -- "${@:---filter=*}"
fi
