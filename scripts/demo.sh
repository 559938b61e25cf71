#!/usr/bin/env bash
# A working demo on one machine, nothing but Debian's packages, everything on 127.0.0.1:
# a private Docker engine (its own socket and folders; any other engine is left alone), four
# Evonic-style sandboxes under load (busy CPU, memory near its limit, forking to near its PIDs
# limit, OOM-killed), the exporter (a user with a fresh password for /metrics and the REST API,
# history on), Prometheus with deploy/prometheus/rules.yml, and Alertmanager.
# Prints the URLs; the OOM alert reaches Alertmanager right after the first OOM kill (about 20 s)
# and the PIDs alert within about a minute. Ctrl-C stops and removes everything it started.
#
# Usage: scripts/demo.sh [--ready-file FILE]   (as root; from another user: sudo scripts/demo.sh)
#   --ready-file FILE   write the URLs and names as KEY=VALUE lines to FILE once all is up (tests)
# Environment: EVONIC_EXPORTER_BIN  an exporter binary to use (default: the release build in
#                                   build-release/, shared with run.sh and package.sh)
#              DEMO_COLLECT_INTERVAL (default 2s), DEMO_SCRAPE_INTERVAL (default 5s)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ready_file=
while [ $# -gt 0 ]; do
  case "$1" in
    --ready-file) ready_file=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "demo: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (it starts a Docker engine)" >&2; exit 1; }

bash "$root/scripts/install-deps.sh" demo
exporter_bin=${EVONIC_EXPORTER_BIN:-}
if [ -z "$exporter_bin" ]; then
  # The release build run.sh and package.sh use too (build/ belongs to scripts/test.sh).
  echo "demo: building the exporter in build-release/ (a few minutes the first time)" >&2
  bash "$root/scripts/build.sh" --release >/dev/null
  exporter_bin=$root/build-release/exporter/evonic-sandbox-exporter
fi
collect_interval=${DEMO_COLLECT_INTERVAL:-2s}
scrape_interval=${DEMO_SCRAPE_INTERVAL:-5s}
DOCKER=/usr/bin/docker

dir=$(mktemp -d /tmp/evonic-demo.XXXX)  # short: unix socket paths are limited
engine=$dir/engine
pids=()
stopping=0
cleanup() {
  # A child forked for `cmd &` may take a signal before it has reset the traps it inherited: only
  # the demo's own shell cleans up.
  [ "$BASHPID" = "$$" ] || exit 1
  [ $stopping = 1 ] && return
  stopping=1
  echo "demo: stopping" >&2
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  bash "$root/tests/tools/private_engine.sh" stop "$engine" >/dev/null 2>&1 || true
  rm -rf "$dir"
  echo "demo: stopped" >&2
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_for() {  # wait_for WHAT SECONDS COMMAND...
  local what=$1 deadline=$((SECONDS + $2))
  shift 2
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { echo "demo: $what did not come up in time" >&2; return 1; }
    sleep 0.5
  done
}

echo "demo: starting a private Docker engine in $engine" >&2
bash "$root/tests/tools/private_engine.sh" start "$engine" >/dev/null
export DOCKER_HOST=unix://$engine/docker.sock

# Sandboxes as Evonic makes them: evonic-<session>, session = <agent>-<8 hex>, --network none.
suffix=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
sandbox() {  # sandbox AGENT DOCKER-RUN-ARGS...
  local agent=$1
  shift
  "$DOCKER" run -d --name "evonic-$agent-$suffix" --label evonic.managed=1 --label evonic.pid=1 \
    --label "evonic.created_at=$(date +%s)" --network none "$@" evonic-sandbox:test \
    sleep infinity >/dev/null
  echo "evonic-$agent-$suffix"
}
busy=$(sandbox demo-busy --cpus=1 --memory=256m --pids-limit=256)
memory=$(sandbox demo-memory --cpus=1 --memory=64m --memory-swap=64m --pids-limit=256 \
  --tmpfs /tmp:rw,size=128m)
forker=$(sandbox demo-forker --cpus=1 --memory=256m --pids-limit=64)
oom=$(sandbox demo-oom --cpus=1 --memory=16m --memory-swap=16m --pids-limit=256)
"$DOCKER" exec -d "$busy" sh -c 'while :; do :; done'
# 58 MiB of tmpfs pages count as used memory: about 91 % of 64 MiB.
"$DOCKER" exec "$memory" dd if=/dev/zero of=/tmp/blob bs=1M count=58 2>/dev/null
# Forks sleepers up to 58 of 64 PIDs (sleep infinity + this shell + 56), one every half second.
"$DOCKER" exec -d "$forker" sh -c 'i=0; while [ $i -lt 56 ]; do sleep 86400 & i=$((i+1)); sleep 0.5; done; wait'

thresholds=$dir/thresholds.yml
cat >"$thresholds" <<YAML
default: {cpu: 0.9, memory: 0.9}
agents:
  demo-memory: {memory: 0.85}   # a per-agent override, visible in the drill-down
YAML
# A user for /metrics and the REST API, with a password made for this run (bcrypt, cost 10).
demo_password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
demo_hash=$(echo "$demo_password" | "$exporter_bin" hash-password)
printf 'basic_auth_users:\n  demo: "%s"\n' "$demo_hash" >"$dir/web.yml"
: >"$dir/exporter.log"
"$exporter_bin" --web.listen-address=127.0.0.1:0 --docker.host="$DOCKER_HOST" \
  --collect.interval="$collect_interval" --thresholds.file="$thresholds" \
  --web.config.file="$dir/web.yml" --history.path="$dir/history.db" --history.interval=10s \
  >>"$dir/exporter.log" 2>&1 &
pids+=($!)
exporter_port=
deadline=$((SECONDS + 20))
until [ -n "$exporter_port" ]; do
  # The log exists before the exporter starts: the child opens it only once it runs, and a loaded
  # machine may run this loop first (seen in CI: sed failed and set -e ended the demo).
  exporter_port=$(sed -n 's/.*msg="evonic-sandbox-exporter started".* port=\([0-9]*\).*/\1/p' "$dir/exporter.log")
  if ! kill -0 "${pids[0]}" 2>/dev/null; then
    echo "demo: the exporter exited:" >&2; cat "$dir/exporter.log" >&2; exit 1
  fi
  [ $SECONDS -lt $deadline ] || { cat "$dir/exporter.log" >&2; exit 1; }
  sleep 0.2
done

am_port=$(free_port)
cat >"$dir/alertmanager.yml" <<YAML
route:
  receiver: demo
  group_by: [alertname, agent_id]
  group_wait: 5s
  group_interval: 30s
receivers:
  - name: demo
YAML
prometheus-alertmanager --config.file="$dir/alertmanager.yml" --storage.path="$dir/alertmanager" \
  --web.listen-address="127.0.0.1:$am_port" --cluster.listen-address= \
  >"$dir/alertmanager.log" 2>&1 &
pids+=($!)

prom_port=$(free_port)
cat >"$dir/prometheus.yml" <<YAML
global:
  scrape_interval: $scrape_interval
  evaluation_interval: $scrape_interval
rule_files:
  - $root/deploy/prometheus/rules.yml
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["127.0.0.1:$am_port"]
scrape_configs:
  - job_name: evonic-sandbox-exporter
    basic_auth:
      username: demo
      password: $demo_password
    static_configs:
      - targets: ["127.0.0.1:$exporter_port"]
YAML
prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/prometheus" \
  --web.listen-address="127.0.0.1:$prom_port" --web.enable-lifecycle \
  >"$dir/prometheus.log" 2>&1 &
pids+=($!)
wait_for Prometheus 30 curl -fsS "http://127.0.0.1:$prom_port/-/ready"
wait_for Alertmanager 30 curl -fsS "http://127.0.0.1:$am_port/-/ready"

# The OOM kill comes once the exporter has seen the sandbox (its counter then starts at 0), and
# again every 3 minutes: a 64 MiB allocation in a 16 MiB sandbox; the sandbox itself lives on.
oom_loop() {
  trap 'kill $! 2>/dev/null; exit 0' TERM
  sleep 15 & wait $!
  while :; do
    "$DOCKER" exec "$oom" sh -c 'head -c 64m /dev/zero | tail >/dev/null' >/dev/null 2>&1 || true
    sleep 180 & wait $!
  done
}
oom_loop &
pids+=($!)

if [ -n "$ready_file" ]; then
  cat >"$ready_file.part" <<EOF2
EXPORTER_URL=http://127.0.0.1:$exporter_port
UI_URL=http://127.0.0.1:$exporter_port/ui/
EXPORTER_USER=demo
EXPORTER_PASSWORD=$demo_password
PROMETHEUS_URL=http://127.0.0.1:$prom_port
ALERTMANAGER_URL=http://127.0.0.1:$am_port
DEMO_DIR=$dir
EXPORTER_PID=${pids[0]}
THRESHOLDS_FILE=$thresholds
DOCKER_HOST=$DOCKER_HOST
BUSY=$busy
MEMORY=$memory
FORKER=$forker
OOM=$oom
EOF2
  mv "$ready_file.part" "$ready_file"
fi
cat <<EOF2

  Evonic sandbox exporter demo - all on 127.0.0.1, stop with Ctrl-C

  exporter      http://127.0.0.1:$exporter_port/metrics   (user demo, password $demo_password)
  live page     http://127.0.0.1:$exporter_port/ui/       (same user; refreshed every 5 s)
  REST          curl -u demo:$demo_password http://127.0.0.1:$exporter_port/api/sandbox/stats
  history       curl -u demo:$demo_password "http://127.0.0.1:$exporter_port/api/sandbox/stats/history?since=\$(date -d '-1 hour' +%s)"
                (a point per sandbox every 10 s; the file: $dir/history.db)
  Prometheus    http://127.0.0.1:$prom_port/alerts        (rules: deploy/prometheus/rules.yml)
  Alertmanager  http://127.0.0.1:$am_port/#/alerts
                amtool alert query --alertmanager.url=http://127.0.0.1:$am_port

  sandboxes     $busy    busy loop: CPU at its 1-core limit (alert after 5 min)
                $memory  58 MiB of 64 MiB (threshold 0.85: alert after 2 min)
                $forker  forks to 58 of 64 PIDs (alert after 30 s: within a minute)
                $oom     OOM-killed exec after 15 s, then every 3 min
  engine        DOCKER_HOST=$DOCKER_HOST docker ps
  dashboards    dashboards/*.json: import into Grafana with this Prometheus as datasource

EOF2
while :; do sleep 1; done
