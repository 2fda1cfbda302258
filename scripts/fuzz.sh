#!/usr/bin/env bash
# fuzz.sh: build every tests/fuzz/fuzz_*.c with clang
# (-fsanitize=fuzzer,address,undefined; the whole core is compiled with
# -fsanitize=fuzzer-no-link so libFuzzer sees its coverage) and run each for
# N seconds (default 60) on a copy of its seed corpus,
# tests/fuzz/corpus_<name>/.
#
#   ./scripts/fuzz.sh 600                 every target, 10 minutes each
#   ./scripts/fuzz.sh 60 fuzz_form        only the targets named
#
# Environment:
#   CONVENE_FUZZ_BUILD   build directory (default ./build-fuzz; reused)
#   CONVENE_FUZZ_KEEP    where crash reproducers go (default ./tests/output/fuzz)
#   CONVENE_FUZZ_JOBS    build parallelism (default 2)
# New inputs found by a run stay in the copy, not in tests/fuzz: to keep an
# interesting one as a seed, copy it there by hand.
# Prints one line per target, "fuzz <name>: <runs> runs in <N> s, ok" or
# "... FAILED (reproducer: <file>)", and exits 1 when any target failed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

secs=${1:-60}
shift || true
case "$secs" in
'' | *[!0-9]*) echo "usage: $0 [seconds] [fuzz_name...]" >&2; exit 2 ;;
esac

command -v clang >/dev/null || { echo "fuzz.sh: clang is not installed" \
	"(scripts/deps.sh installs it)" >&2; exit 1; }

build=${CONVENE_FUZZ_BUILD:-$root/build-fuzz}
keep=${CONVENE_FUZZ_KEEP:-$root/tests/output/fuzz}
jobs=${CONVENE_FUZZ_JOBS:-2}

if [ "$#" -gt 0 ]; then
	targets=("$@")
else
	targets=()
	for f in tests/fuzz/fuzz_*.c; do
		targets+=("$(basename "$f" .c)")
	done
fi

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang \
	-DCONVENE_SANITIZE=ON -DCONVENE_FUZZ=ON \
	-DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link >"$build.log" 2>&1 ||
	{ tail -n 40 "$build.log" >&2; exit 1; }
cmake --build "$build" -j"$jobs" --target "${targets[@]}" \
	>>"$build.log" 2>&1 || { tail -n 60 "$build.log" >&2; exit 1; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

work=$(mktemp -d "${TMPDIR:-/tmp}/convene-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
failed=0
for t in "${targets[@]}"; do
	name=${t#fuzz_}
	corpus="$work/corpus_$name"
	mkdir -p "$corpus" "$work/art_$name"
	if [ -d "tests/fuzz/corpus_$name" ]; then
		cp -R "tests/fuzz/corpus_$name/." "$corpus/"
	fi
	log="$work/$t.log"
	if "$build/$t" -max_total_time="$secs" -max_len=8192 -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/art_$name/" "$corpus" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
			tail -n 1)
		echo "fuzz $t: ${runs:-?} runs in $secs s, ok"
	else
		failed=1
		mkdir -p "$keep"
		repro=""
		for a in "$work/art_$name"/*; do
			[ -e "$a" ] || continue
			cp "$a" "$keep/$t-$(basename "$a")"
			repro="$keep/$t-$(basename "$a")"
		done
		cp "$log" "$keep/$t.log"
		grep -m 5 -E 'ERROR|runtime error|SUMMARY|deadly signal' \
			"$log" >&2 || tail -n 20 "$log" >&2
		echo "fuzz $t: FAILED (reproducer: ${repro:-none}; log" \
			"$keep/$t.log)"
	fi
done
exit "$failed"
