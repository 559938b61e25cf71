#!/usr/bin/env bash
# Builds the exporter and the microbenchmarks in Release, installs wrk, runs the microbenchmarks,
# then the macro benchmark on a private Docker engine, and writes BENCHMARKS.md at the top of the
# repository. Needs root (the private engine). Takes about 20 minutes at the default sizes; run it
# on an otherwise quiet machine.
#   sudo benchmarks/run_macro.sh [--sizes 1,10,50,100,200] [--interval 10s]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh" test
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
dpkg -s libbenchmark-dev >/dev/null 2>&1 ||
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libbenchmark-dev >/dev/null
build=$root/build-release
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DEVONIC_BUILD_TESTS=OFF \
  -DEVONIC_BUILD_BENCHMARKS=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target evonic-sandbox-exporter micro_benchmarks \
  http_latency
micro=$(mktemp)
trap 'rm -f "$micro"' EXIT
"$build/benchmarks/micro_benchmarks" --benchmark_format=json --benchmark_out="$micro" \
  --benchmark_out_format=json >/dev/null
python3 "$root/benchmarks/macro_bench.py" --binary "$build/exporter/evonic-sandbox-exporter" \
  --source-dir "$root" --micro-json "$micro" \
  --latency-probe "$build/benchmarks/http_latency" --out "$root/BENCHMARKS.md" \
  --rows-json "$root/benchmarks/last-run.json" "$@"
