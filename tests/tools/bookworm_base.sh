#!/usr/bin/env bash
# A Debian bookworm base image without a registry, so that deploy/Dockerfile builds unchanged:
# imports the cached debootstrap tree of tests/tools/full_image.sh (bookworm minbase, plus bash and
# python3) as debian:bookworm into the engine DOCKER_HOST points at. Sharing that one tarball keeps
# CI to a single debootstrap (a few minutes the first time, seconds afterwards).
#
# The same tree is also tagged debian:bookworm-slim, the Dockerfile's runtime base: a minbase tree
# is no bigger than slim (it stands in for it here; the registry's slim image is used elsewhere).
#
# Usage: bookworm_base.sh        prints debian:bookworm once both tags are there
# Environment: as full_image.sh (EVONIC_TEST_CACHE, DOCKER_CLI, DEBIAN_MIRROR).
set -euo pipefail
DOCKER_CLI=${DOCKER_CLI:-/usr/bin/docker}
here=$(cd "$(dirname "$0")" && pwd)
tarball=$(bash "$here/full_image.sh" tarball)
if ! "$DOCKER_CLI" image inspect debian:bookworm >/dev/null 2>&1; then
  "$DOCKER_CLI" import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' "$tarball" debian:bookworm >/dev/null
fi
if ! "$DOCKER_CLI" image inspect debian:bookworm-slim >/dev/null 2>&1; then
  "$DOCKER_CLI" tag debian:bookworm debian:bookworm-slim
fi
echo debian:bookworm
