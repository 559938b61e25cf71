#!/usr/bin/env bash
# Records the engine's event stream for every way a sandbox ends into tests/fixtures/events/: one
# Evonic-style sandbox per ending, each of its own agent (evonic-ends-<how>-<8 hex>), so that a test can
# read the expected reason from the agent:
#   ends-clean        the main process exits 0                               -> clean
#   ends-error        the main process exits 3                               -> error
#   ends-oom          the kernel OOM-kills the main process (16 MiB)         -> oom
#   ends-rm-f         `docker rm -f` of a running sandbox (Evonic's idle
#                     timeout, LRU eviction, reaper and exit)                -> removed
#   ends-exec-oom-rm  an exec OOM-killed (the sandbox lives on), then rm -f  -> removed
#   ends-stop         `docker stop -t 1` (SIGTERM ignored, then SIGKILL)     -> removed
#   ends-stop-trap    `docker stop` of a main process that exits 0 on TERM   -> removed
#   ends-kill         `docker kill`                                          -> removed
#   ends-exit-then-rm no --rm: exits 3, `docker rm` later                    -> error (once)
#   ends-never-ran    its command does not exist: create, destroy, no die    -> no ending
#
# Usage: record_endings.sh OUTFILE   (as root; starts and stops its own private engine; busybox image)
# The stream is the engine's raw answer to
#   GET /v1.41/events?filters={"type":["container"],"label":["evonic.managed=1"]}
# one JSON object per line, byte for byte.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
DOCKER=${DOCKER_CLI:-/usr/bin/docker}
. "$here/event_recording.sh"
record_start "$1"

# sandbox NAME [docker run options...] -- COMMAND...: made the way Evonic makes them (--rm unless
# --no-rm comes first), with the test image
sandbox() {
  local name=$1 rm=--rm
  shift
  if [ "$1" = --no-rm ]; then rm=; shift; fi
  local opts=()
  while [ "$1" != -- ]; do opts+=("$1"); shift; done
  shift
  $DOCKER run -d $rm --name "$name" --label evonic.managed=1 --label evonic.pid=1 \
    --label evonic.created_at="$(date +%s)" --cpus=1 --pids-limit=256 --network none \
    "${opts[@]}" evonic-sandbox:test "$@" >/dev/null
}
# wait_gone NAME: until the engine no longer has it
wait_gone() {
  for _ in $(seq 100); do $DOCKER inspect "$1" >/dev/null 2>&1 || return 0; sleep 0.1; done
  echo "record_endings: $1 is still there" >&2
  return 1
}
# wait_exited NAME
wait_exited() {
  for _ in $(seq 100); do
    [ "$($DOCKER inspect -f '{{.State.Status}}' "$1")" = exited ] && return 0
    sleep 0.1
  done
  return 1
}

sandbox evonic-ends-clean-0a1b2c3d --memory=512m -- sh -c 'sleep 0.5; exit 0'
wait_gone evonic-ends-clean-0a1b2c3d
sandbox evonic-ends-error-1b2c3d4e --memory=512m -- sh -c 'sleep 0.5; exit 3'
wait_gone evonic-ends-error-1b2c3d4e
sandbox evonic-ends-oom-2c3d4e5f --memory=16m --memory-swap=16m -- sh -c 'sleep 0.5; exec tail /dev/zero'
wait_gone evonic-ends-oom-2c3d4e5f
sandbox evonic-ends-rm-f-3d4e5f60 --memory=512m -- sleep infinity
$DOCKER rm -f evonic-ends-rm-f-3d4e5f60 >/dev/null
wait_gone evonic-ends-rm-f-3d4e5f60
sandbox evonic-ends-exec-oom-rm-4e5f6071 --memory=16m --memory-swap=16m -- sleep infinity
$DOCKER exec evonic-ends-exec-oom-rm-4e5f6071 sh -c 'tail /dev/zero' >/dev/null 2>&1 || true
[ "$($DOCKER inspect -f '{{.State.Running}}' evonic-ends-exec-oom-rm-4e5f6071)" = true ]
$DOCKER rm -f evonic-ends-exec-oom-rm-4e5f6071 >/dev/null
wait_gone evonic-ends-exec-oom-rm-4e5f6071
sandbox evonic-ends-stop-5f607182 --memory=512m -- sleep infinity
$DOCKER stop -t 1 evonic-ends-stop-5f607182 >/dev/null
wait_gone evonic-ends-stop-5f607182
sandbox evonic-ends-stop-trap-60718293 --memory=512m -- \
  sh -c 'trap "exit 0" TERM; echo ready; while :; do sleep 0.1; done'
# the trap must be set before the stop (PID 1 without a handler ignores SIGTERM)
for _ in $(seq 100); do
  $DOCKER logs evonic-ends-stop-trap-60718293 2>/dev/null | grep -q ready && break
  sleep 0.1
done
$DOCKER stop -t 5 evonic-ends-stop-trap-60718293 >/dev/null
wait_gone evonic-ends-stop-trap-60718293
sandbox evonic-ends-kill-718293a4 --memory=512m -- sleep infinity
$DOCKER kill evonic-ends-kill-718293a4 >/dev/null
wait_gone evonic-ends-kill-718293a4
sandbox evonic-ends-exit-then-rm-8293a4b5 --no-rm --memory=512m -- sh -c 'sleep 0.5; exit 3'
wait_exited evonic-ends-exit-then-rm-8293a4b5
$DOCKER rm evonic-ends-exit-then-rm-8293a4b5 >/dev/null
sandbox evonic-ends-never-ran-93a4b5c6 --memory=512m -- /nonexistent 2>/dev/null || true
wait_gone evonic-ends-never-ran-93a4b5c6
record_finish '"destroy".*never-ran'
