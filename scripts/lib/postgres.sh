# Starts a throw-away PostgreSQL server in a temporary directory on loopback, and stops it. Sourced.
# After start_postgres, DFLARE_TEST_POSTGRES holds a superuser connection string.

PG_DIR=""

pg_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$bin" ] || { echo "test.sh: PostgreSQL binaries not found under /usr/lib/postgresql" >&2; return 1; }
  echo "$bin"
}

free_port() {
  local port
  for port in $(seq 55432 55532); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
  done
  echo "test.sh: no free port in 55432-55532 for PostgreSQL" >&2
  return 1
}

# Runs a PostgreSQL binary as the postgres user when we are root (initdb refuses root).
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local bin port
  bin=$(pg_bin) || return 1
  port=$(free_port) || return 1
  PG_DIR=$(mktemp -d /tmp/dflare-pg.XXXXXX)
  [ "$(id -u)" -eq 0 ] && chown postgres "$PG_DIR"
  as_pg "$bin/initdb" -D "$PG_DIR/data" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/pg.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c fsync=off -c max_connections=300" start >/dev/null \
    || { cat "$PG_DIR/pg.log" >&2; return 1; }
  export DFLARE_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
  echo "test.sh: PostgreSQL $(basename "$(dirname "$bin")") on 127.0.0.1:$port (data in $PG_DIR)"
}

stop_postgres() {
  [ -n "$PG_DIR" ] || return 0
  as_pg "$(pg_bin)/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
  PG_DIR=""
}
