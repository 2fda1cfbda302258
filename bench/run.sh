#!/usr/bin/env bash
# bench/run.sh: Convene's speed against references measured in the same run
# (issue 6, "Load and speed"). Not part of CI: run by hand, it takes minutes.
#
#  0. scripts/deps.sh --runtime: what convene needs (govuk-frontend too)
#  1. installs the references from Debian when missing: nginx, wrk,
#     pgbench (postgresql-contrib), radicale (no system service is started)
#  2. builds convene (Release, ./build-bench) unless CONVENE_BIN is set
#  3. bench/bench.py: starts a throwaway PostgreSQL and convene, then, each
#     pair alternately, medians of --runs runs:
#       feed (GET /feeds/<token>.ics) vs nginx (same bytes) vs Radicale
#       (same events), wrk -c32; booking (POST /api/v1/meetings, 4
#       participants) vs pgbench (the same INSERTs); bench/stats/run.sh;
#       a soak of mixed traffic at a fixed rate (errors, p99, RSS)
#     and prints the table of ratios, met / not met.
#
# usage: bench/run.sh [--quick] [--runs N] [--seconds S] [--soak-minutes M]
#            [--soak-rate R] [--skip-stats] [--stats-args "ARGS"]
#            [--parts feed,booking,stats,soak]   (a subset; default all)
#            [--threads N]   (CONVENE_THREADS for convene; default its own)
#            [--statements]  (pg_stat_statements of the booking runs, logged)
#            [--discussions N] [--soak2-minutes M] [--soak2-rate R]
# Defaults: 5 runs of 10 s, 100,000 discussions seeded before the feed and
# the soaks, soak 30 minutes at 50 requests/s then 10 minutes at 200,
# statistics at bench/stats/run.sh's defaults (1,000,000 discussions).
# --quick: 5 runs of 5 s, 15,000 discussions, soaks of 5 and 2 minutes,
# statistics at 100,000 discussions and 5 repetitions.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

args=()
quick=0
soak=30
stats_args=""
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1; shift ;;
	--soak-minutes) soak=$2; shift 2 ;;
	--stats-args) stats_args=$2; shift 2 ;;
	--runs|--seconds|--soak-rate|--meetings|--parts|--threads|--discussions|--soak2-minutes|--soak2-rate) args+=("$1" "$2"); shift 2 ;;
	--skip-stats|--statements) args+=("$1"); shift ;;
	-h|--help) sed -n '2,29p' "$0"; exit 0 ;;
	*) echo "bench/run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
if [ "$quick" = 1 ]; then
	[ "$soak" != 30 ] || soak=5
	args=(--seconds 5 --discussions 15000 --soak2-minutes 2 "${args[@]}")
	[ -n "$stats_args" ] || stats_args="--discussions 100000 --reps 5"
fi

# What convene itself needs to build and serve (compilers, libraries,
# govuk-frontend under node_modules): a fresh clone has none of it.
./scripts/deps.sh --runtime

SUDO=()
[ "$(id -u)" = 0 ] || SUDO=(sudo)
missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v wrk >/dev/null || missing+=(wrk)
command -v pgbench >/dev/null || missing+=(postgresql-contrib)
/usr/bin/python3 -c 'import radicale' 2>/dev/null || missing+=(radicale)
/usr/bin/python3 -c 'import psycopg2' 2>/dev/null || missing+=(python3-psycopg2)
if [ ${#missing[@]} -gt 0 ]; then
	echo "bench: installing ${missing[*]}"
	"${SUDO[@]}" apt-get update -q -o DPkg::Lock::Timeout=300
	# nginx and radicale would start system services; the bench runs its
	# own. Refuse service starts during the install (as scripts/deps.sh).
	policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
		"${SUDO[@]}" chmod 0755 "$policy"
	fi
	rc=0
	DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q \
		--no-install-recommends -o DPkg::Lock::Timeout=300 \
		"${missing[@]}" || rc=$?
	[ -z "$policy" ] || "${SUDO[@]}" rm -f "$policy"
	[ "$rc" -eq 0 ] || exit "$rc"
fi

bin=${CONVENE_BIN:-}
if [ -z "$bin" ]; then
	echo "bench: building convene (Release, build-bench)"
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build-bench --target convene -j"$(nproc)" >/dev/null
	bin=$root/build-bench/convene
fi
export CONVENE_BIN=$bin CONVENE_SOURCE_DIR=$root
echo "bench: $(date -u +%FT%TZ) $(nproc) cores, $("$bin" --version 2>/dev/null || echo convene)"
exec /usr/bin/python3 bench/bench.py --soak-minutes "$soak" \
	--stats-args "$stats_args" "${args[@]}"
