#!/usr/bin/env bash
# A Debian bookworm base image without a registry, so that deploy/Dockerfile builds unchanged:
# imports the cached debootstrap tree of tests/tools/full_image.sh (bookworm minbase, plus bash and
# python3) as debian:bookworm into the engine DOCKER_HOST points at. Sharing that one tarball keeps
# CI to a single debootstrap (a few minutes the first time, seconds afterwards).
#
# Usage: bookworm_base.sh        prints debian:bookworm once the image is there
# Environment: as full_image.sh (EVONIC_TEST_CACHE, DOCKER_CLI, DEBIAN_MIRROR).
set -euo pipefail
DOCKER_CLI=${DOCKER_CLI:-/usr/bin/docker}
here=$(cd "$(dirname "$0")" && pwd)
tarball=$(bash "$here/full_image.sh" tarball)
if ! "$DOCKER_CLI" image inspect debian:bookworm >/dev/null 2>&1; then
  "$DOCKER_CLI" import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' "$tarball" debian:bookworm >/dev/null
fi
echo debian:bookworm
