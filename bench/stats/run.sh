#!/usr/bin/env bash
# bench/stats/run.sh: the statistics benchmark (issue 5: every statistics
# call under 100 ms with 1,000,000 discussions and 4,000,000 participants).
# Not a test: run by hand, it takes minutes.
#
#  1. builds convene (Release, ./build-bench) unless CONVENE_BIN is set
#  2. starts a throwaway PostgreSQL as the postgres user (loopback, a free
#     port in 25432..26431, removed at the end), or uses --url URL (whose
#     role must be a superuser: the generator loads with triggers off)
#  3. migrates, generates the data with generate_series in SQL
#     (bench/stats/generate.sql), builds the summaries (stats_rebuild()),
#     checks them (stats_verify() = 0 after a burst of ordinary writes)
#  4. starts `convene serve` and times each statistics call over HTTP
#     (bench/stats/bench.py), REPS times, beside a bare
#     SELECT date_trunc('month', starts_at), count(*) FROM discussions
#     GROUP BY 1 over the same table; prints median, p95, ratio, met/not met
#
# usage: bench/stats/run.sh [--url URL] [--discussions N] [--authorities A]
#            [--big-share PER_MILLE] [--teams T] [--reps R] [--skip-verify]
# Defaults: 1000000 discussions, 150 authorities, the biggest (asked about)
# holding 4% of them, 6 teams each, 20 repetitions. --authorities 1 puts
# every discussion in one authority: the worst case.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

discussions=1000000
authorities=150
big_share=40
teams=6
reps=20
url=""
verify=""
while [ $# -gt 0 ]; do
	case "$1" in
	--url) url=$2; shift 2 ;;
	--discussions) discussions=$2; shift 2 ;;
	--authorities) authorities=$2; shift 2 ;;
	--big-share) big_share=$2; shift 2 ;;
	--teams) teams=$2; shift 2 ;;
	--reps) reps=$2; shift 2 ;;
	--skip-verify) verify=--skip-verify; shift ;;
	-h|--help) sed -n '2,25p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
if [ "$authorities" -eq 1 ]; then
	big_share=1000
fi

bin=${CONVENE_BIN:-}
if [ -z "$bin" ]; then
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build-bench --target convene -j"$(nproc)" >/dev/null
	bin=$root/build-bench/convene
fi

tmp=$(mktemp -d /tmp/convene-bench.XXXXXX)
chmod 0711 "$tmp"
pg_started=0
srv_pid=""
pg_bindir=""
cleanup() {
	local rc=$?
	set +e
	if [ -n "$srv_pid" ]; then
		kill "$srv_pid" 2>/dev/null
		wait "$srv_pid" 2>/dev/null
	fi
	if [ "$pg_started" -eq 1 ]; then
		runuser -u postgres -- "$pg_bindir/pg_ctl" stop -D "$tmp/pg/data" \
			-m fast -w -s >/dev/null 2>&1
	fi
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
	local p i
	for i in $(seq 1 200); do
		p=$(($1 + RANDOM % 1000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

if [ -z "$url" ]; then
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [ -x "$d/initdb" ]; then
			pg_bindir=$d
			break
		fi
	done
	[ -n "$pg_bindir" ] || { echo "run.sh: no PostgreSQL" >&2; exit 1; }
	mkdir -m 0700 "$tmp/pg"
	chown postgres:postgres "$tmp/pg"
	runuser -u postgres -- "$pg_bindir/initdb" -D "$tmp/pg/data" \
		--username=postgres --auth=trust --encoding=UTF8 \
		--locale=C.UTF-8 --no-sync >/dev/null
	cat >>"$tmp/pg/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$tmp/pg'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 512MB
work_mem = 32MB
maintenance_work_mem = 512MB
max_wal_size = 8GB
CONF
	port=$(free_port 25432)
	runuser -u postgres -- "$pg_bindir/pg_ctl" start -D "$tmp/pg/data" \
		-l "$tmp/pg/log" -w -t 60 -s -o "-p $port" >/dev/null
	pg_started=1
	psql -X -q -v ON_ERROR_STOP=1 \
		"postgresql://postgres@127.0.0.1:$port/postgres" \
		-c "CREATE ROLE convene LOGIN" \
		-c "CREATE ROLE convene_serve NOLOGIN" \
		-c "CREATE DATABASE convene_bench OWNER convene"
	url="postgresql://convene@127.0.0.1:$port/convene_bench"
	admin="postgresql://postgres@127.0.0.1:$port/convene_bench"
else
	admin=$url
fi

t() { date +%s.%N; }
echo "bench: $discussions discussions, $((discussions * 4)) participants," \
	"$authorities authorities ($big_share per mille in a001), $teams teams each"
# The owner migrates (docs/operations.md "Database roles"); its grants go
# to convene_serve, made above as a DBA would.
"$bin" migrate --database-url "$url" >/dev/null
t0=$(t)
psql -X -q -v ON_ERROR_STOP=1 -v discussions="$discussions" \
	-v authorities="$authorities" -v big_share="$big_share" \
	-v teams="$teams" "$admin" -f bench/stats/generate.sql >/dev/null
t1=$(t)
psql -X -q -v ON_ERROR_STOP=1 "$admin" -c "SELECT stats_rebuild()" >/dev/null
t2=$(t)
psql -X -q "$admin" -c "VACUUM ANALYZE" >/dev/null
awk -v a="$t0" -v b="$t1" -v c="$t2" \
	'BEGIN { printf("bench: generated in %.0f s, summaries in %.0f s\n", b - a, c - b) }'
psql -X -q -At "$admin" -c "SELECT 'bench: ' || (SELECT count(*) FROM \
discussions) || ' discussions, ' || (SELECT count(*) FROM participants) || \
' participants; a001 holds ' || (SELECT count(*) FROM discussions d JOIN \
authorities a ON a.id = d.authority_id WHERE a.code = 'a001') || \
'; summary rows: ' || (SELECT count(*) FROM stats_summary) || ' + ' || \
(SELECT count(*) FROM stats_agency_summary) || ' + ' || (SELECT count(*) \
FROM stats_org_summary)"

pw_mgr=$("$bin" user add bench-mgr --role manager --team "Team 1" \
	--authority a001 --database-url "$url" 2>/dev/null | tail -n 1)
"$bin" user add bench-sw --role social_worker --team "Team 2" \
	--authority a001 --database-url "$url" >/dev/null 2>&1
tok_mgr=$("$bin" token create bench-mgr --database-url "$url" 2>/dev/null |
	tail -n 1)
tok_sw=$("$bin" token create bench-sw --database-url "$url" 2>/dev/null |
	tail -n 1)

hport=$(free_port 21000)
"$bin" serve --listen "127.0.0.1:$hport" --database-url "$url" \
	--data-dir "$tmp/data" --threads 4 >"$tmp/serve.out" 2>"$tmp/serve.err" &
srv_pid=$!
for i in $(seq 1 100); do
	if curl -fsS "http://127.0.0.1:$hport/healthz" >/dev/null 2>&1; then
		break
	fi
	sleep 0.2
done
if ! curl -fsS "http://127.0.0.1:$hport/healthz" >/dev/null 2>&1; then
	echo "run.sh: convene serve did not answer; its errors:" >&2
	tail -n 20 "$tmp/serve.err" >&2
	exit 1
fi

/usr/bin/python3 bench/stats/bench.py --base "http://127.0.0.1:$hport" \
	--db "$admin" --manager bench-mgr --password "$pw_mgr" \
	--manager-token "$tok_mgr" --sw-token "$tok_sw" --reps "$reps" $verify
