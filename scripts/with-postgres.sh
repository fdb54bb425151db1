#!/usr/bin/env bash
# Usage: scripts/with-postgres.sh CMD [ARGS...]
#
# Starts a throwaway PostgreSQL cluster on a free loopback port, runs CMD with
#   SAFEGRID_DATABASE_URL=postgresql+psycopg://safegrid@127.0.0.1:$PORT/safegrid_test
# (plus PGHOST/PGPORT/PGUSER/PGDATABASE for psql and friends) exported, then
# always stops the cluster and deletes its data directory. Exits with CMD's
# exit code. Never touches Debian's default cluster (port 5432).
# The cluster runs with fsync/synchronous_commit/full_page_writes off (fast tests);
# SAFEGRID_PG_DURABLE=1 keeps them on (durable benchmark figures).
set -euo pipefail

log() { echo "with-postgres: $*" >&2; }

if [ "$#" -eq 0 ]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

# Newest installed PostgreSQL version.
pgbin=""
for d in $(compgen -G '/usr/lib/postgresql/*/bin' | sort -V); do
    [ -x "$d/initdb" ] && pgbin=$d
done
if [ -z "$pgbin" ]; then
    log "no PostgreSQL server found under /usr/lib/postgresql/*/bin;" \
        "run scripts/ensure-system-deps.sh (or apt-get install postgresql)"
    exit 1
fi

is_root=0
[ "$(id -u)" -eq 0 ] && is_root=1

if [ "$is_root" -eq 1 ]; then
    if ! id -u postgres >/dev/null 2>&1; then
        log "running as root but there is no 'postgres' user to run the server as"
        exit 1
    fi
    # The postgres user must be able to reach the directory, so don't honour a
    # TMPDIR that may live under /root.
    tmp=$(mktemp -d /tmp/safegrid-pg.XXXXXX)
    chown postgres: "$tmp"
else
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/safegrid-pg.XXXXXX")
fi
datadir=$tmp/data
logfile=$tmp/postgres.log

# Run a server-side command as the postgres user when we are root.
as_pg() {
    if [ "$is_root" -eq 1 ]; then
        (cd "$tmp" && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if [ -f "$datadir/postmaster.pid" ]; then
        as_pg "$pgbin/pg_ctl" -D "$datadir" -m fast -t 30 -w stop >/dev/null 2>&1 ||
            as_pg "$pgbin/pg_ctl" -D "$datadir" -m immediate -t 30 -w stop >/dev/null 2>&1 ||
            log "warning: could not stop the server in $datadir"
    fi
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

locale=C.UTF-8
if ! locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
    locale=C
fi

if ! as_pg "$pgbin/initdb" -D "$datadir" --auth=trust --username=safegrid \
        --encoding=UTF8 --locale="$locale" --no-sync >"$tmp/initdb.log" 2>&1; then
    log "initdb failed:"
    cat "$tmp/initdb.log" >&2
    exit 1
fi

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Tests don't need durability: fsync and friends off. SAFEGRID_PG_DURABLE=1 keeps the
# server defaults (fsync, synchronous_commit, full_page_writes on) for benchmark figures.
durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
if [ "${SAFEGRID_PG_DURABLE:-0}" = "1" ]; then
    durability="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
    log "SAFEGRID_PG_DURABLE=1: fsync, synchronous_commit, full_page_writes on"
fi

# The port could be taken between picking it and binding it; retry a few times.
started=0
for _attempt in 1 2 3 4 5; do
    port=$(free_port)
    # Each pytest-xdist worker has its own database and connection pool (ADR 0017).
    if as_pg "$pgbin/pg_ctl" -D "$datadir" -l "$logfile" -w -t 60 -o "-p $port -k $datadir \
-c listen_addresses=127.0.0.1 -c max_connections=200 $durability" start >/dev/null 2>&1; then
        started=1
        break
    fi
    if [ -f "$datadir/postmaster.pid" ]; then
        as_pg "$pgbin/pg_ctl" -D "$datadir" -m immediate -w stop >/dev/null 2>&1 || true
    fi
done
if [ "$started" -ne 1 ]; then
    log "PostgreSQL failed to start; server log:"
    cat "$logfile" >&2 2>/dev/null || true
    exit 1
fi

if ! "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U safegrid safegrid_test; then
    log "createdb safegrid_test failed"
    exit 1
fi

version=$("$pgbin/postgres" --version | awk '{print $3}')
log "PostgreSQL $version running on 127.0.0.1:$port (data in $datadir)"

export SAFEGRID_DATABASE_URL="postgresql+psycopg://safegrid@127.0.0.1:$port/safegrid_test"
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=safegrid PGDATABASE=safegrid_test

set +e
"$@"
rc=$?
set -e
exit "$rc"
