#!/usr/bin/env bash
# The fuller sandbox image (bash and python3, like Evonic's evonic-sandbox:latest) for tests on a real
# engine: a Debian bookworm minbase tree made with debootstrap, cached as a tarball so reruns are fast.
#
# Usage: full_image.sh [tarball|import]
#   tarball   make (or reuse) the cached tarball and print its path
#   import    also `docker import` it as evonic-sandbox:full into the engine of $DOCKER_HOST (skipped when
#             the image is there already)
# Environment: EVONIC_TEST_CACHE (default /var/cache/evonic-tests), DOCKER_CLI (default /usr/bin/docker),
#              DEBIAN_MIRROR (default: none given, so debootstrap uses its own default mirror).
# Needs root and debootstrap (scripts/install-deps.sh test installs it). Takes a few minutes the first time.
set -euo pipefail
mode=${1:-import}
cache=${EVONIC_TEST_CACHE:-/var/cache/evonic-tests}
tarball=$cache/bookworm-minbase-bash-python3.tar
image=evonic-sandbox:full
DOCKER_CLI=${DOCKER_CLI:-/usr/bin/docker}

mkdir -p "$cache"
if [ ! -s "$tarball" ]; then
  # One builder at a time; a second caller waits and reuses its tarball.
  exec 9>"$cache/.lock"
  flock 9
  if [ ! -s "$tarball" ]; then
    work=$(mktemp -d "$cache/build.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    echo "full_image: debootstrap bookworm into $work/root (a few minutes)" >&2
    # shellcheck disable=SC2086  # no mirror argument at all unless DEBIAN_MIRROR names one
    debootstrap --variant=minbase --include=python3,bash bookworm "$work/root" \
      ${DEBIAN_MIRROR:-} >"$work/debootstrap.log" 2>&1 ||
      { tail -30 "$work/debootstrap.log" >&2; exit 1; }
    rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
    tar -C "$work/root" -cf "$work/image.tar" .
    mv "$work/image.tar" "$tarball"
  fi
fi
if [ "$mode" = tarball ]; then
  echo "$tarball"
  exit 0
fi
if ! "$DOCKER_CLI" image inspect "$image" >/dev/null 2>&1; then
  "$DOCKER_CLI" import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' "$tarball" "$image" >/dev/null
fi
echo "$image"
