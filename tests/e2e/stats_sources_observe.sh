#!/bin/sh
# Observes both stats sources on one real engine: the same three sandboxes (idle, a busy CPU loop,
# 64 MiB held in tmpfs) read by two exporters, one with --collector.stats-source=cgroupfs and one
# with =engine, and by `docker stats`, in rounds taken close together. Writes raw outputs only;
# tests/e2e/test_stats_sources.py judges them. POSIX sh and busybox, so that it also runs inside
# the cgroup v2 guest (../shared/tools/cgroup-v2-engine.sh), which has no Python.
#
# usage: stats_sources_observe.sh OUT_DIR EXPORTER_BINARY IMAGE [ROUNDS]
#   DOCKER_HOST names the engine; IMAGE exists there (busybox with sh, sleep, dd).
#   OUT_DIR gets: cgroupfs-N.prom, engine-N.prom, docker-N.jsonl (N = 1..ROUNDS), both exporters'
#   logs, ids.txt (name id per sandbox), and recorded/ (the engine's info, inspect and one-shot
#   stats answers, and on cgroup v2 the idle sandbox's cgroup files before and after the stats
#   answer, as fixtures). Exit 0 when all were taken.
set -u
out=$1 bin=$2 image=$3 rounds=${4:-5}
mkdir -p "$out/recorded"
sock=${DOCKER_HOST#unix://}
# Guests under emulation are slow: allow each wait a few minutes.
wait_for() {  # wait_for SECONDS COMMAND...: until COMMAND succeeds
  limit=$1
  shift
  i=0
  while [ "$i" -lt "$limit" ]; do
    "$@" >/dev/null 2>&1 && return 0
    sleep 1
    i=$((i + 1))
  done
  echo "timed out: $*" >&2
  return 1
}
api() { curl -sf --unix-socket "$sock" "http://localhost/v1.41$1"; }

names="evonic-srcidle-0000a001 evonic-srcbusy-0000a002 evonic-srcmem-0000a003"
for n in $names; do
  docker rm -f "$n" >/dev/null 2>&1
  docker run -d --name "$n" --label evonic.managed=1 --memory=512m --cpus=1 --pids-limit=256 \
    --network none --tmpfs /tmp:rw,exec,size=200m "$image" sleep 100000 >/dev/null || exit 1
  echo "$n $(docker inspect -f '{{.Id}}' "$n")" >>"$out/ids.txt"
done
docker exec -d evonic-srcbusy-0000a002 sh -c 'while :; do :; done' || exit 1
docker exec evonic-srcmem-0000a003 dd if=/dev/zero of=/tmp/blob bs=1M count=64 2>/dev/null || exit 1

"$bin" --docker.host="$DOCKER_HOST" --web.listen-address=127.0.0.1:19810 --collect.interval=1s \
  --collector.stats-source=cgroupfs >"$out/cgroupfs.log" 2>&1 &
cg=$!
"$bin" --docker.host="$DOCKER_HOST" --web.listen-address=127.0.0.1:19811 --collect.interval=1s \
  --collector.stats-source=engine >"$out/engine.log" 2>&1 &
en=$!
trap 'kill $cg $en 2>/dev/null; for n in $names; do docker rm -f "$n" >/dev/null 2>&1; done' EXIT

has_busy_cpu() { curl -sf "http://127.0.0.1:$1/metrics" | grep -q '^evonic_sandbox_cpu_utilization_ratio{agent_id="srcbusy"'; }
wait_for 240 has_busy_cpu 19810 || exit 1
wait_for 240 has_busy_cpu 19811 || exit 1
# The first check against the engine is offered in the first cycle; give it time to finish.
has_check() { curl -sf http://127.0.0.1:19810/metrics | grep -q '^evonic_sandbox_exporter_stats_source_checks_total{result="agreed"} [1-9]'; }
wait_for 240 has_check || echo "no agreed check yet" >&2

r=1
while [ "$r" -le "$rounds" ]; do
  curl -sf http://127.0.0.1:19810/metrics >"$out/cgroupfs-$r.prom" || exit 1
  curl -sf http://127.0.0.1:19811/metrics >"$out/engine-$r.prom" || exit 1
  docker stats --no-stream --format '{{json .}}' >"$out/docker-$r.jsonl" || exit 1
  sleep 2
  r=$((r + 1))
done

# Fixtures: what this engine says, and the idle sandbox's cgroup files (v2: one directory) with
# /proc/stat and /proc/meminfo, read just before and just after its one-shot stats answer.
idle=$(awk '/srcidle/ {print $2}' "$out/ids.txt")
api /info >"$out/recorded/info.json"
api "/containers/$idle/json" >"$out/recorded/inspect-idle.json"
dir=/sys/fs/cgroup/docker/$idle
record_cgroup() {  # record_cgroup MOMENT
  [ -d "$dir" ] || return 0
  mkdir -p "$out/recorded/$1"
  for f in cpu.stat memory.current memory.max memory.stat memory.events memory.swap.current \
      io.stat pids.current pids.max; do
    cat "$dir/$f" >"$out/recorded/$1/$f" 2>/dev/null
  done
  cat /proc/stat >"$out/recorded/$1/proc-stat"
  cat /proc/meminfo >"$out/recorded/$1/proc-meminfo"
}
record_cgroup before
api "/containers/$idle/stats?stream=false&one-shot=true" >"$out/recorded/engine-stats.json"
record_cgroup after
exit 0
