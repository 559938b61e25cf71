#!/usr/bin/env bash
# Records the engine's event stream for an Evonic-style sandbox session into tests/fixtures/events/:
# a sandbox made the way Evonic makes it, four `bash -s` tool calls (one `exit 3`), one `python3 -`, an
# exec that the kernel OOM-kills (the container lives on), then `docker rm -f`.
#
# Usage: record_event_stream.sh OUTFILE   (as root; starts and stops its own private engine)
# The stream is the engine's raw answer to
#   GET /v1.41/events?filters={"type":["container"],"label":["evonic.managed=1"]}
# one JSON object per line, byte for byte.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
DOCKER=${DOCKER_CLI:-/usr/bin/docker}
. "$here/event_recording.sh"
record_start "$1"
bash "$here/full_image.sh" import >/dev/null
name=evonic-recorder-0a1b2c3d
$DOCKER run -d --rm --name $name --label evonic.managed=1 --label evonic.pid=1 \
  --label evonic.created_at="$(date +%s)" --memory=24m --memory-swap=24m --cpus=1 --pids-limit=256 \
  --network none evonic-sandbox:full sleep infinity >/dev/null
for i in 1 2 3; do echo "echo call $i; ls / >/dev/null" | $DOCKER exec -i $name bash -s; done
echo 'exit 3' | $DOCKER exec -i $name bash -s || true
echo 'print(sum(range(1000)))' | $DOCKER exec -i $name python3 - >/dev/null
$DOCKER exec $name sh -c 'head -c 200m /dev/zero | tail' >/dev/null 2>&1 || true
$DOCKER exec $name true
$DOCKER rm -f $name >/dev/null
record_finish '"destroy"'
