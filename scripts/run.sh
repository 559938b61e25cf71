#!/usr/bin/env bash
# Builds the exporter (installing what is missing) in build-release/, the release build demo.sh
# and package.sh share, and runs it; arguments go to the exporter.
#   scripts/run.sh --docker.host=unix:///var/run/docker.sock --web.listen-address=:9717
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/build.sh" --release >&2
exec "$root/build-release/exporter/evonic-sandbox-exporter" "$@"
