#!/usr/bin/env bash
# Builds and runs every test on a fresh machine: installs what is missing (apt), checks the
# formatting, then runs
#   1. unit, integration and end-to-end tests (the e2e tests start their own private Docker engine),
#   2. unit and integration tests again under ASan+UBSan,
#   3. the snapshot consistency test under ThreadSanitizer,
#   4. the fuzz targets (tests/fuzz, clang + libFuzzer, ASan+UBSan): the kept crash inputs and seeds
#      replayed, then 30 s of fuzzing per target, two at a time (about 5 minutes with the build).
# Ends with one line "N passed, N failed". Exit status 0 only when everything passed.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-deps.sh test || exit 1

passed=0
failed=0
record() {  # record NAME STATUS
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "== PASS $1"; else failed=$((failed + 1)); echo "== FAIL $1"; fi
}

# Formatting (clang-format, Google base; .clang-format at the top).
fmt_bad=$(git ls-files '*.cc' '*.h' | xargs clang-format --dry-run 2>&1 | grep -c 'warning:' || true)
if [ "$fmt_bad" -ne 0 ]; then
  git ls-files '*.cc' '*.h' | xargs clang-format --dry-run 2>&1 | head -20
fi
record clang-format $((fmt_bad != 0))

run_ctest() {  # run_ctest NAME BUILD_DIR [ctest args...]: counts ctest's own tests
  local name=$1 dir=$2 log status total bad
  shift 2
  log=$(mktemp)
  (cd "$dir" && ctest --output-on-failure --timeout 900 "$@") 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  read -r total bad < <(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\2 \1/p' "$log" | tail -1)
  rm -f "$log"
  if [ -z "${total:-}" ]; then record "$name" 1; return; fi
  passed=$((passed + total - bad))
  failed=$((failed + bad))
  [ "$status" -eq 0 ] && [ "$bad" -eq 0 ] || { [ "$bad" -eq 0 ] && failed=$((failed + 1)); }
  echo "== $name: $((total - bad)) of $total passed"
}

build() {  # build DIR [cmake args...]
  local dir=$1
  shift
  cmake -S "$root" -B "$dir" -DEVONIC_BUILD_TESTS=ON "$@" >/dev/null && cmake --build "$dir" -j"$(nproc)"
}

if build build -DCMAKE_BUILD_TYPE=RelWithDebInfo; then
  run_ctest "tests (RelWithDebInfo)" build
else
  record "build (RelWithDebInfo)" 1
fi

if build build-asan -DCMAKE_BUILD_TYPE=Debug -DEVONIC_SANITIZE=address; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_ctest "unit+integration (ASan+UBSan)" build-asan -L 'unit|integration'
else
  record "build (ASan+UBSan)" 1
fi

if build build-tsan -DCMAKE_BUILD_TYPE=Debug -DEVONIC_SANITIZE=thread; then
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" \
    run_ctest "concurrency (TSan)" build-tsan -L concurrency
else
  record "build (TSan)" 1
fi

# Fuzzing: regressions and seeds, then 30 s per target (build-fuzz, built with clang if needed).
bash tests/fuzz/run.sh 30
record "fuzz (regressions + 30 s per target)" $?

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
