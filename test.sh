#!/usr/bin/env bash
# Runs every test of Dflare. Installs what the tests need when it is missing (Debian's PostgreSQL; acl for the POSIX
# volume driver's ACLs; iproute2, nftables, iputils-ping and frr for the Lab fabric, its packet tests and real FRR;
# redfishtool and cloud-init, the independent judges of our Redfish and cloud-init; Debian's Slurm, munge and MariaDB
# for the Lab cluster runtime; python3 for the SDK's tests; chromium for the portal's browser tests), starts PostgreSQL in a temporary directory on loopback, and stops it afterwards, with any Lab
# namespaces and Slurm daemons a test left. Extra arguments go to
# `dotnet test` (e.g. --filter X).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/lib/packages.sh
source scripts/lib/postgres.sh

started_here=false
# Lab namespaces of tests start with "dt" (tests/Dflare.Tests/Core/Network); a killed run must not leave them behind.
sweep_lab() {
  ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^dt[0-9a-f]{4}-' | xargs -r -n1 ip netns delete 2>/dev/null || true
  pkill -f -- '--vty_socket /tmp/dflare-test-' 2>/dev/null || true  # FRR daemons of the FRR acceptance test
  pkill -f -- '/tmp/dflare-test-[^ ]*/slurm/' 2>/dev/null || true     # slurmctld, slurmd, slurmdbd, munged, mariadbd of the Lab Slurm test
  pkill -f -- 'playwright_chromiumdev_profile' 2>/dev/null || true   # Chromium of the portal's browser tests
}
cleanup() { sweep_lab; $started_here && stop_postgres; }
trap cleanup EXIT

ensure_packages redfishtool cloud-init acl iproute2 nftables iputils-ping frr python3 slurmctld slurmd slurm-client slurmdbd munge mariadb-server \
  chromium fonts-liberation
sweep_lab

if [ -z "${DFLARE_TEST_POSTGRES:-}" ]; then
  ensure_packages postgresql
  start_postgres
  started_here=true
fi

dotnet build Dflare.slnx -c Release -nologo -clp:ErrorsOnly

# The portal's browser tests save a screenshot of each page here.
export DFLARE_TEST_ARTIFACTS="${DFLARE_TEST_ARTIFACTS:-$PWD/artifacts}"
results=$(mktemp -d /tmp/dflare-test-results.XXXXXX)
status=0
dotnet test Dflare.slnx -c Release --no-build -nologo --logger "trx;LogFileName=dflare.trx" --results-directory "$results" "$@" || status=$?

# One closing line for people and CI: "N passed, N failed, N skipped".
summary=$(python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/**/*.trx", recursive=True):
    counters = ET.parse(path).getroot().find("t:ResultSummary/t:Counters", ns)
    passed += int(counters.get("passed", 0))
    failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0))
    skipped += int(counters.get("notExecuted", 0))
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
)
rm -rf "$results"
echo "tests: $summary"
echo "screenshots of the portal: $DFLARE_TEST_ARTIFACTS/screenshots"
if [ "$status" -eq 0 ] && [[ "$summary" == "0 passed,"* ]]; then
  echo "test.sh: no test ran" >&2
  status=1
fi
exit "$status"
