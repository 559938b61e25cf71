#!/usr/bin/env bash
# Builds the Debian package (deploy/debian/package.cmake) in the one release build folder,
# build-release/, which run.sh and demo.sh share, and prints the .deb's path. Arguments go to
# cmake, e.g. -DEVONIC_DEB_REVISION=2.
#   scripts/package.sh && sudo apt install ./build-release/evonic-sandbox-exporter_*.deb
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh" package
bash "$root/scripts/build.sh" --release "$@" >&2
cd "$root/build-release"
rm -f evonic-sandbox-exporter_*.deb
cpack -G DEB >&2
ls "$root"/build-release/evonic-sandbox-exporter_*.deb
