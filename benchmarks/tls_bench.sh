#!/bin/bash
# What TLS costs the exporter, against plain HTTP, without an engine (/metrics of about 6 KB):
#   - keep-alive: `wrk -t1 -c10 -d5s` on /metrics, requests per second and the exporter's CPU per
#     request (utime+stime from /proc, 10 ms ticks);
#   - a new connection per request: 200 `curl` runs on /healthz, the wall time of each and the
#     exporter's CPU per connection (the handshake, for TLS).
# Usage: benchmarks/tls_bench.sh BINARY [LABEL] [PORT]  (BINARY a Release build; PORT 19717)
# Listens on 127.0.0.1 only; a fresh self-signed P-256 certificate, removed afterwards.
set -euo pipefail
binary=$1
label=${2:-$(basename "$binary")}
port=${3:-19717}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout "$dir/key" -out "$dir/crt" \
  2>/dev/null
printf 'tls_server_config:\n  cert_file: %s/crt\n  key_file: %s/key\n' "$dir" "$dir" >"$dir/web.yml"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for mode in tls plain; do
  args=(--docker.host=unix:///nonexistent "--web.listen-address=127.0.0.1:$port")
  scheme=http
  if [ "$mode" = tls ]; then
    args+=("--web.config.file=$dir/web.yml")
    scheme=https
  fi
  "$binary" "${args[@]}" >"$dir/log" 2>&1 &
  pid=$!
  deadline=$((SECONDS + 10))
  until curl -sk -o /dev/null "$scheme://127.0.0.1:$port/healthz"; do
    [ $SECONDS -lt $deadline ] || { cat "$dir/log"; exit 1; }
    sleep 0.1
  done
  c0=$(cpu_ticks $pid)
  out=$(wrk -t1 -c10 -d5s "$scheme://127.0.0.1:$port/metrics")
  c1=$(cpu_ticks $pid)
  requests=$(awk '/requests in/{print $1}' <<<"$out")
  rps=$(awk '/Requests\/sec/{print $2}' <<<"$out")
  t0=$(date +%s.%N)
  for _ in $(seq 200); do curl -sk -o /dev/null "$scheme://127.0.0.1:$port/healthz"; done
  t1=$(date +%s.%N)
  c2=$(cpu_ticks $pid)
  printf '%s %s: keep-alive %s req/s, %.1f us CPU/request; new connections %.2f ms each, %.0f us CPU each\n' \
    "$label" "$mode" "$rps" "$(bc -l <<<"($c1 - $c0) * 10000 / $requests")" \
    "$(bc -l <<<"($t1 - $t0) * 1000 / 200")" "$(bc -l <<<"($c2 - $c1) * 10000 / 200")"
  kill $pid
  wait $pid 2>/dev/null || true
done
