#!/usr/bin/env bash
# Records raw answers of a real Docker engine for Evonic-style sandboxes, for parser tests and the fake engine.
#
# Usage: record_engine_answers.sh OUTDIR
#
# Starts a private engine (tests/tools/private_engine.sh) in a mktemp folder, runs four sandboxes the way
# Evonic makes them (all `--network none`), makes one burn CPU and another hold 64 MiB in its /tmp tmpfs,
# and stores the answer bodies exactly as the engine sent them (curl --unix-socket -o, no reformatting):
#   ping.txt, version.json, containers.json, inspect/NAME.json, stats/NAME.json,
#   stats-oneshot/NAME.1.json + NAME.2.json, docker-stats-cli.jsonl, stats-stopped.json,
#   inspect-stopped/hand-made-box.json, containers-all-after-stop.json,
#   error-404-stats.json, error-400-version-too-old.json, error-400-version-too-new.json,
#   index.tsv (file, method, path, HTTP status, seconds taken), headers.txt (answer headers of every request),
#   engine.txt (engine version, date, container ids).
# Everything it starts is removed at exit, also on failure.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd -P)
DOCKER_CLI=${DOCKER_CLI:-/usr/bin/docker}
mkdir -p "$1"
OUT=$(cd "$1" && pwd -P)
API=/v1.41

ENGINE_DIR=$(mktemp -d /tmp/rec-engine.XXXX)
cleanup() {
  "$HERE/private_engine.sh" stop "$ENGINE_DIR" || true
  rm -rf "$ENGINE_DIR"
}
trap cleanup EXIT

eval "export $("$HERE/private_engine.sh" start "$ENGINE_DIR")"
SOCK=$ENGINE_DIR/docker.sock
docker() { "$DOCKER_CLI" "$@"; }

rm -rf "$OUT/inspect" "$OUT/stats" "$OUT/stats-oneshot" "$OUT/inspect-stopped"
mkdir -p "$OUT/inspect" "$OUT/stats" "$OUT/stats-oneshot" "$OUT/inspect-stopped"
: >"$OUT/index.tsv"
: >"$OUT/headers.txt"
printf 'file\tmethod\tpath\tstatus\tseconds\n' >>"$OUT/index.tsv"

# get FILE PATH : GET PATH from the engine, body into OUTDIR/FILE as sent, a line in index.tsv.
get() {
  local file=$1 path=$2 hdr status secs
  hdr=$(mktemp)
  read -r status secs < <(curl -sS --max-time 60 --unix-socket "$SOCK" -D "$hdr" -o "$OUT/$file" \
    -w '%{http_code} %{time_total}\n' "http://localhost$path")
  if [ -z "$status" ] || [ "$status" = 000 ]; then echo "GET $path: no answer" >&2; exit 1; fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$file" GET "$path" "$status" "$secs" >>"$OUT/index.tsv"
  { echo "### GET $path -> $file"; tr -d '\r' <"$hdr"; } >>"$OUT/headers.txt"
  rm -f "$hdr"
  echo "recorded $file ($status, ${secs}s)" >&2
}

now=$(date +%s)
common=(-d --network none --label evonic.managed=1 --label evonic.pid=1 --label "evonic.created_at=$now")
# shellcheck disable=SC2054  # the commas belong to the --tmpfs option
sandbox=(--memory=512m --cpus=1 --pids-limit=256 --tmpfs /tmp:rw,exec,size=3000m)
NAMES=(evonic-data-analyst-e0d4d663 evonic-admin-6f07b262 hand-made-box evonic-labelled)

docker run "${common[@]}" --name evonic-data-analyst-e0d4d663 "${sandbox[@]}" evonic-sandbox:test sleep infinity >/dev/null
docker run "${common[@]}" --name evonic-admin-6f07b262 "${sandbox[@]}" evonic-sandbox:test sleep infinity >/dev/null
docker run "${common[@]}" --name hand-made-box evonic-sandbox:test sleep infinity >/dev/null
docker run "${common[@]}" --name evonic-labelled --memory=256m --cpu-quota=50000 --cpu-period=100000 \
  --pids-limit=64 --label evonic.agent_id=ops --label evonic.session_id=ops-12345678 \
  evonic-sandbox:test sleep infinity >/dev/null

declare -A ID
for n in "${NAMES[@]}"; do ID[$n]=$(docker inspect -f '{{.Id}}' "$n"); done

docker exec -d evonic-data-analyst-e0d4d663 sh -c 'while :; do :; done'
docker exec evonic-admin-6f07b262 dd if=/dev/zero of=/tmp/blob bs=1M count=64 2>/dev/null

# Wait (deadline 30 s) until the busy sandbox uses at least half a CPU, read from its cpuacct cgroup.
cpuacct=/sys/fs/cgroup/cpuacct/docker/${ID[evonic-data-analyst-e0d4d663]}/cpuacct.usage
[ -r "$cpuacct" ] || { echo "no $cpuacct (not cgroup v1 with cgroupfs?)" >&2; exit 1; }
deadline=$((SECONDS + 30))
while :; do
  a=$(cat "$cpuacct"); t0=$(date +%s%N)
  sleep 0.5
  b=$(cat "$cpuacct"); t1=$(date +%s%N)
  share=$(( (b - a) * 100 / (t1 - t0) ))
  echo "busy sandbox: ${share}% of one CPU" >&2
  [ "$share" -ge 50 ] && break
  [ $SECONDS -lt $deadline ] || { echo "busy sandbox never reached 50% CPU" >&2; exit 1; }
done

get ping.txt /_ping
get version.json /version
filters=$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=""))' \
  '{"label":["evonic.managed=1"]}')
get containers.json "$API/containers/json?filters=$filters"
for n in "${NAMES[@]}"; do get "inspect/$n.json" "$API/containers/${ID[$n]}/json"; done
for n in "${NAMES[@]}"; do get "stats/$n.json" "$API/containers/${ID[$n]}/stats?stream=false"; done
docker stats --no-stream --format '{{json .}}' "${NAMES[@]}" >"$OUT/docker-stats-cli.jsonl"
echo "recorded docker-stats-cli.jsonl" >&2
for n in "${NAMES[@]}"; do
  t0=$(date +%s%N)
  get "stats-oneshot/$n.1.json" "$API/containers/${ID[$n]}/stats?stream=false&one-shot=true"
  # The second sample at least 1 s after the first request began.
  rest=$(( 1000000000 - ($(date +%s%N) - t0) ))
  [ $rest -le 0 ] || sleep "$(printf '0.%09d' "$rest")"
  get "stats-oneshot/$n.2.json" "$API/containers/${ID[$n]}/stats?stream=false&one-shot=true"
done

docker stop -t 1 hand-made-box >/dev/null
get stats-stopped.json "$API/containers/${ID[hand-made-box]}/stats?stream=false"
get inspect-stopped/hand-made-box.json "$API/containers/${ID[hand-made-box]}/json"
get containers-all-after-stop.json "$API/containers/json?all=1&filters=$filters"

get error-404-stats.json "$API/containers/0000000000000000000000000000000000000000000000000000000000000000/stats?stream=false"
# Below the minimum: 20.10 answers versions < 1.24 in plain text (the old error format), not JSON.
get error-400-version-too-old.json /v1.11/version
# Above the maximum: the JSON error format of versions >= 1.24.
get error-400-version-too-new.json /v1.99/version

{
  echo "engine: $(docker version --format 'server {{.Server.Version}} (API {{.Server.APIVersion}}, minimum {{.Server.MinAPIVersion}}), client {{.Client.Version}}')"
  echo "info: $(docker info --format 'cgroup v{{.CgroupVersion}} driver {{.CgroupDriver}}, storage {{.Driver}}, kernel {{.KernelVersion}}, {{.NCPU}} CPUs, {{.MemTotal}} bytes RAM')"
  echo "recorded: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "evonic.created_at label: $now"
  for n in "${NAMES[@]}"; do echo "container: $n ${ID[$n]}"; done
} >"$OUT/engine.txt"
cat "$OUT/engine.txt" >&2
