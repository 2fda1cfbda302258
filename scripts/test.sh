#!/usr/bin/env bash
# test.sh: the whole test suite, as CI runs it (.ci/run).
#
#  1. scripts/deps.sh (installs whatever is missing)
#  2. ASan/UBSan build in ./build-test
#  3. a throwaway PostgreSQL on 127.0.0.1 (a free port in 15432..15999) and a
#     Unix socket, run as the "postgres" user from a temporary directory,
#     with fsync off; role "convene" (LOGIN CREATEDB, not superuser) owning
#     database "convene_test"; group role "convene_serve" and its member
#     "convene_app", the serving login (DML only, docs/security.md)
#  4. ctest (unit, integration, browser), then scripts/check-banned.sh
#  5. on exit, always (failure and Ctrl-C included): stop that PostgreSQL and
#     any embedded one a test left running under our temporary directory,
#     then remove the temporary directory
#
# Tests see:
#   CONVENE_TEST_DATABASE_URL   postgresql://convene@127.0.0.1:PORT/convene_test
#   CONVENE_TEST_PG_ADMIN_URL   postgresql://postgres@127.0.0.1:PORT/postgres
#   CONVENE_TEST_SERVE_USER     convene_app (the serving login)
#   CONVENE_TEST_PG_BINDIR      PostgreSQL server programs (initdb, pg_ctl, ...)
#   CONVENE_TEST_PG_DATADIR     the throwaway cluster's data directory
#   CONVENE_TEST_PG_PORT, CONVENE_TEST_PG_SOCKDIR
#   CONVENE_TEST_OUTPUT_DIR     ./tests/output (screenshots, logs; gitignored)
#   CONVENE_TEST_CHROMIUM       /usr/bin/chromium
#   TMPDIR                      a per-run directory, removed at the end
# Arguments are passed to ctest (e.g. scripts/test.sh -L unit -R pgembed).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

./scripts/deps.sh

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DCONVENE_SANITIZE=ON
cmake --build build-test -j2

# --- throwaway PostgreSQL --------------------------------------------------

pg_bindir=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
	if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
		pg_bindir=$d
		break
	fi
done
if [ -z "$pg_bindir" ]; then
	echo "test.sh: no PostgreSQL server programs in /usr/lib/postgresql/*/bin" >&2
	exit 1
fi
psql_bin="$pg_bindir/psql"
[ -x "$psql_bin" ] || psql_bin=$(command -v psql)

if ! id -u postgres >/dev/null 2>&1; then
	useradd --system --user-group --home-dir /var/lib/postgresql \
		--shell /bin/bash postgres
fi
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
	as_pg=(runuser -u postgres --)
fi

test_tmp=$(mktemp -d /tmp/convene-test.XXXXXX)
# postgres must pass through (not list) it to reach its directories.
chmod 0711 "$test_tmp"
pg_root="$test_tmp/pg"		# socket and log; owned by postgres
pg_data="$pg_root/data"
pg_log="$pg_root/postgresql.log"
mkdir -m 0700 "$pg_root"
[ "${#as_pg[@]}" -eq 0 ] || chown postgres:postgres "$pg_root"
pg_started=0

# Stop one postmaster by its postmaster.pid: SIGQUIT (immediate shutdown),
# then SIGKILL. Only a process named postgres is signalled.
kill_postmaster() {
	local pidfile=$1 pid i
	pid=$(head -n 1 "$pidfile" 2>/dev/null || true)
	case "$pid" in
	'' | *[!0-9]*) return 0 ;;
	esac
	[ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = postgres ] || return 0
	echo "test.sh: stopping PostgreSQL $pid still running in ${pidfile%/postmaster.pid}" >&2
	kill -QUIT "$pid" 2>/dev/null || return 0
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	echo "test.sh: postmaster $pid ignored SIGQUIT; killing it" >&2
	kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
	local rc=$? f
	trap - EXIT INT TERM
	set +e
	if [ "$pg_started" -eq 1 ]; then
		"${as_pg[@]}" "$pg_bindir/pg_ctl" stop -D "$pg_data" -m fast -w \
			-t 30 -s >/dev/null 2>&1 ||
			kill_postmaster "$pg_data/postmaster.pid"
	fi
	# Servers that tests started (embedded PostgreSQL under TMPDIR) and
	# did not stop.
	while IFS= read -r -d '' f; do
		kill_postmaster "$f"
	done < <(find "$test_tmp" -name postmaster.pid -print0 2>/dev/null)
	if [ "$rc" -ne 0 ] && [ -f "$pg_log" ]; then
		mkdir -p "$root/tests/output"
		cp "$pg_log" "$root/tests/output/postgresql.log" 2>/dev/null
		echo "test.sh: PostgreSQL log kept in tests/output/postgresql.log" >&2
	fi
	rm -rf "$test_tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"${as_pg[@]}" "$pg_bindir/initdb" -D "$pg_data" --username=postgres \
	--auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-sync >/dev/null
cat >>"$pg_data/postgresql.conf" <<EOF

# scripts/test.sh: a throwaway server, speed over durability.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$pg_root'
unix_socket_permissions = 0700
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
# As documented for production (docs/deploy.md): no row data in the log.
log_error_verbosity = terse
EOF

# A free port: nothing answering on it, and the server binds it (another
# run may take the same port between the probe and the bind: try again).
port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
pg_port=""
base=$((15432 + RANDOM % 568))
for i in $(seq 0 567); do
	p=$((15432 + (base - 15432 + i) % 568))
	port_free "$p" || continue
	if "${as_pg[@]}" "$pg_bindir/pg_ctl" start -D "$pg_data" -l "$pg_log" \
		-w -t 60 -s -o "-p $p" >/dev/null 2>&1; then
		pg_port=$p
		pg_started=1
		break
	fi
	if ! grep -q 'could not bind\|could not create any TCP/IP sockets' "$pg_log" 2>/dev/null; then
		echo "test.sh: PostgreSQL did not start; its log:" >&2
		tail -n 30 "$pg_log" >&2 || true
		exit 1
	fi
	: >"$pg_log"
done
if [ -z "$pg_port" ]; then
	echo "test.sh: no free port in 15432..15999 for PostgreSQL" >&2
	exit 1
fi

"$psql_bin" -X -q -v ON_ERROR_STOP=1 \
	"postgresql://postgres@127.0.0.1:$pg_port/postgres" <<'SQL'
CREATE ROLE convene LOGIN CREATEDB NOSUPERUSER NOCREATEROLE;
CREATE DATABASE convene_test OWNER convene;
-- Least privilege (docs/operations.md): what a DBA runs once. The owner
-- (convene) migrates; the servers log in as convene_app, DML only.
CREATE ROLE convene_serve NOLOGIN;
CREATE ROLE convene_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
GRANT convene_serve TO convene_app;
SQL

export CONVENE_TEST_DATABASE_URL="postgresql://convene@127.0.0.1:$pg_port/convene_test"
export CONVENE_TEST_PG_ADMIN_URL="postgresql://postgres@127.0.0.1:$pg_port/postgres"
export CONVENE_TEST_SERVE_USER=convene_app
export CONVENE_TEST_PG_BINDIR="$pg_bindir"
export CONVENE_TEST_PG_DATADIR="$pg_data"
export CONVENE_TEST_PG_PORT="$pg_port"
export CONVENE_TEST_PG_SOCKDIR="$pg_root"
export CONVENE_TEST_OUTPUT_DIR="$root/tests/output"
export CONVENE_TEST_CHROMIUM=/usr/bin/chromium
mkdir -p "$CONVENE_TEST_OUTPUT_DIR" "$test_tmp/tmp"
chmod 0711 "$test_tmp/tmp"
export TMPDIR="$test_tmp/tmp"
echo "test.sh: PostgreSQL $("$pg_bindir/postgres" -V | awk '{print $3}') on 127.0.0.1:$pg_port"

# --- tests -----------------------------------------------------------------

status=0
ctest --test-dir build-test --output-on-failure -j1 --timeout 300 \
	--no-tests=error "$@" || status=1
if ! ./scripts/check-banned.sh; then
	status=1
fi
exit "$status"
