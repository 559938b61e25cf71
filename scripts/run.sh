#!/usr/bin/env bash
# Builds the exporter (installing what is missing) and runs it; arguments go to the exporter.
#   scripts/run.sh --docker.host=unix:///var/run/docker.sock --web.listen-address=:9717
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/build.sh" "$root/build-run" -DEVONIC_BUILD_TESTS=OFF >&2
exec "$root/build-run/exporter/evonic-sandbox-exporter" "$@"
