#!/bin/sh
# Builds the libFuzzer targets (clang, -fsanitize=fuzzer,address,undefined)
# in their own build directory and runs each for a bounded time, seeded
# with a scratch copy of its corpus so the repository is never modified.
#
#   tests/fuzz/run-fuzzers.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS defaults to 30; TARGET defaults to all. Environment:
#   FUZZ_BUILD_DIR  build directory (default: <repo>/build-libfuzzer)
#   FUZZ_JOBS       libFuzzer processes per target (default: 1)
#   CC              the clang to use (default: clang)
# Exits non-zero if a target crashes, leaks, times out or fails to build,
# and prints the path of each input that did it.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
secs=${1:-30}
[ $# -gt 0 ] && shift
targets=${*:-fuzz_vmbus_ring fuzz_vmbus_msg fuzz_rndis_pkt fuzz_netvsp fuzz_vsw_request fuzz_vsw_parse fuzz_vsw_acl}
build=${FUZZ_BUILD_DIR:-$repo/build-libfuzzer}
jobs=${FUZZ_JOBS:-1}

case $secs in
''|*[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/hvnet-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

has_targets() {
	[ -f "$build/build.ninja" ] &&
		grep -q '^build tests/fuzz/fuzz_vmbus_ring:' "$build/build.ninja"
}
if [ ! -f "$build/build.ninja" ]; then
	CC=${CC:-clang} meson setup "$build" "$repo" -Dfuzz=true \
		-Dbuildtype=debugoptimized >"$work/setup.log" 2>&1 || {
		cat "$work/setup.log" >&2
		echo "run-fuzzers: meson setup failed" >&2
		exit 1
	}
elif ! has_targets; then
	meson configure "$build" -Dfuzz=true >/dev/null 2>&1 || true
	ninja -C "$build" build.ninja >/dev/null 2>&1 || true
fi
if ! has_targets; then
	echo "run-fuzzers: $build has no libFuzzer targets: is subdir('fuzz') in" \
	     "tests/meson.build, -Dfuzz=true set and the compiler clang?" >&2
	exit 1
fi
for t in $targets; do
	ninja -C "$build" "tests/fuzz/$t" >/dev/null || {
		echo "run-fuzzers: building $t failed" >&2
		exit 1
	}
done

artifacts=$build/fuzz-artifacts
mkdir -p "$artifacts"

status=0
for t in $targets; do
	corpus=$work/$t
	mkdir -p "$corpus"
	if [ -d "$here/corpus/$t" ]; then
		cp "$here/corpus/$t"/* "$corpus"/ 2>/dev/null || true
	fi
	log=$artifacts/$t.log
	echo "== $t: ${secs}s, $(ls "$corpus" | wc -l) seeds"
	rc=0
	par=
	# libFuzzer forks workers for any -jobs given, even 1.
	[ "$jobs" -gt 1 ] && par="-jobs=$jobs -workers=$jobs"
	# -timeout: one input taking seconds is a hang worth reporting.
	# -max_len: room for full message sequences and ring images.
	# -close_fd_mask=2: the server logs each protocol error to stderr;
	# libFuzzer and sanitizer reports keep a private copy of it.
	# Run from the scratch dir: workers write fuzz-N.log to the cwd.
	(cd "$work" && exec "$build/tests/fuzz/$t" "$corpus" \
		-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=8192 -print_final_stats=1 -close_fd_mask=2 $par \
		-artifact_prefix="$artifacts/$t-") >"$log" 2>&1 || rc=$?
	if [ -n "$par" ]; then
		cat "$work"/fuzz-*.log >>"$log" 2>/dev/null || true
		rm -f "$work"/fuzz-*.log
	fi
	grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::average_exec_per_sec)' \
		"$log" | sed 's/^/   /' || true
	crashes=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log")
	if [ "$rc" -ne 0 ] || [ -n "$crashes" ]; then
		status=1
		echo "!! $t FAILED (exit $rc); log: $log" >&2
		grep -E 'ERROR: |SUMMARY: |invariant failed' "$log" | head -5 | sed 's/^/   /' >&2
		for c in $crashes; do
			echo "   crash input: $c" >&2
			echo "   reproduce:   $build/tests/fuzz/$t $c" >&2
		done
	fi
done
exit $status
