#!/usr/bin/env bash
# Runs the libFuzzer targets (tests/fuzz/fuzz_*.cc), building build-fuzz first (Clang,
# -DEVONIC_FUZZ=ON) when needed.
#
#   bash tests/fuzz/run.sh SECONDS [TARGET...]
#
# 1. Regressions: every file under tests/fuzz/regressions/<target>/ (inputs that once crashed) and
#    the seed corpus tests/fuzz/corpus/<target>/ is run once through its target.
# 2. Fuzzing (SECONDS > 0): each target runs SECONDS (-max_total_time) on a copy of its seed corpus
#    in a temporary folder (the repository is not written), two targets at a time. A crash, leak,
#    timeout or out-of-memory input is kept in tests/fuzz/crashes/<target>/ (not committed: once
#    fixed, move it to tests/fuzz/regressions/<target>/).
# Prints one line per target (executions, finding or not); exits 1 on any finding or failure.
# Environment: FUZZ_BUILD_DIR (default build-fuzz), FUZZ_JOBS (targets at once, default 2).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
  echo "usage: $0 SECONDS [TARGET...]   (SECONDS 0: regressions only)" >&2
  exit 2
fi
seconds=$1
shift
build_dir=${FUZZ_BUILD_DIR:-$root/build-fuzz}
jobs=${FUZZ_JOBS:-2}
if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for f in tests/fuzz/fuzz_*.cc; do targets+=("$(basename "$f" .cc)"); done
fi

# Build (incremental: only what changed).
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  CC=${CC:-clang} CXX=${CXX:-clang++} cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Debug \
    -DEVONIC_FUZZ=ON -DEVONIC_BUILD_TESTS=OFF >/dev/null || exit 1
fi
cmake --build "$build_dir" -j"$jobs" --target "${targets[@]}" >"$build_dir/fuzz-build.log" 2>&1 || {
  tail -40 "$build_dir/fuzz-build.log"
  echo "fuzz build failed" >&2
  exit 1
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
work=$(mktemp -d /tmp/evonic-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
findings=0

max_len_of() {  # name_pattern matches names up to 1 MiB
  case $1 in
    fuzz_name_pattern) echo 1048576 ;;
    *) echo 65536 ;;
  esac
}

# 1. Regressions and seeds, once each.
for t in "${targets[@]}"; do
  bin=$build_dir/fuzz/$t
  inputs=()
  for dir in tests/fuzz/regressions/$t tests/fuzz/corpus/$t; do
    [ -d "$dir" ] && while IFS= read -r -d '' f; do inputs+=("$f"); done < <(find "$dir" -type f -print0)
  done
  [ ${#inputs[@]} -eq 0 ] && continue
  if "$bin" -rss_limit_mb=2048 -timeout=10 "${inputs[@]}" >"$work/$t.replay.log" 2>&1; then
    echo "$t: replayed ${#inputs[@]} regression and seed inputs: ok"
  else
    echo "$t: REPLAY FAILED (${#inputs[@]} inputs):"
    grep -E 'Running:|ERROR|runtime error|SUMMARY|#[0-9]+ 0x' "$work/$t.replay.log" | head -30
    findings=$((findings + 1))
  fi
done

# 2. Fuzzing, $jobs targets at a time.
fuzz_one() {  # fuzz_one TARGET: writes $work/TARGET.result
  local t=$1 bin=$build_dir/fuzz/$1 corpus=$work/$1.corpus crashes=$root/tests/fuzz/crashes/$1
  local log=$work/$1.log status execs kept
  mkdir -p "$corpus" "$crashes"
  cp -r "tests/fuzz/corpus/$t/." "$corpus/" 2>/dev/null
  "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len="$(max_len_of "$t")" \
    -print_final_stats=1 -artifact_prefix="$crashes/" "$corpus" >"$log" 2>&1
  status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  kept=$(find "$crashes" -type f | wc -l)
  rmdir "$crashes" 2>/dev/null
  if [ "$status" -eq 0 ] && [ "$kept" -eq 0 ]; then
    echo "$t: ${execs:-?} executions in ${seconds}s, nothing found" >"$work/$t.result"
  else
    {
      echo "$t: FOUND after ${execs:-?} executions (exit $status); input kept in tests/fuzz/crashes/$t/"
      grep -E 'ERROR|runtime error|SUMMARY|Test unit written|#[0-9]+ 0x' "$log" | head -30
    } >"$work/$t.result"
    return 1
  fi
}

if [ "$seconds" -gt 0 ]; then
  declare -A pid_of
  for t in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
    fuzz_one "$t" &
    pid_of[$t]=$!
  done
  for t in "${targets[@]}"; do
    wait "${pid_of[$t]}" || findings=$((findings + 1))
    cat "$work/$t.result"
  done
  rmdir "$root/tests/fuzz/crashes" 2>/dev/null  # only when nothing was kept
fi

if [ "$findings" -ne 0 ]; then
  echo "fuzz: $findings target(s) with findings"
  exit 1
fi
echo "fuzz: nothing found"
