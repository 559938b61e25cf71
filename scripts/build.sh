#!/usr/bin/env bash
# Configures and builds into BUILD_DIR (default build/), installing missing packages first.
# Usage: scripts/build.sh [BUILD_DIR] [extra cmake args...]
#        scripts/build.sh --release [extra cmake args...]   the one release build, build-release/
#          (Release, no tests, prefix /usr), which run.sh, demo.sh and package.sh share
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" = --release ]; then
  shift
  set -- "$root/build-release" -DCMAKE_BUILD_TYPE=Release -DEVONIC_BUILD_TESTS=OFF \
    -DCMAKE_INSTALL_PREFIX=/usr "$@"
fi
build_dir=${1:-$root/build}
shift || true
bash "$root/scripts/install-deps.sh" build
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
