#!/usr/bin/env bash
# Builds the exporter in Release, installs wrk, and runs the macro benchmark on a private Docker
# engine; writes BENCHMARKS.md at the top of the repository. Needs root (the private engine).
#   benchmarks/run_macro.sh [--sizes 1,10,50,100,200]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh" test
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
cmake -S "$root" -B "$root/build-release" -DCMAKE_BUILD_TYPE=Release -DEVONIC_BUILD_TESTS=OFF >/dev/null
cmake --build "$root/build-release" -j"$(nproc)" --target evonic-sandbox-exporter
python3 "$root/benchmarks/macro_bench.py" --binary "$root/build-release/exporter/evonic-sandbox-exporter" \
  --source-dir "$root" --out "$root/BENCHMARKS.md" "$@"
