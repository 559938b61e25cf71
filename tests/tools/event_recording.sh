# Sourced by record_event_stream.sh and record_endings.sh: a private engine and the raw event stream of
# its sandboxes, recorded byte for byte.
#
#   record_start OUTFILE   start a private engine (DOCKER_HOST exported to it) and record, into OUTFILE,
#                          its raw answer to
#                            GET /v1.41/events?filters={"type":["container"],"label":["evonic.managed=1"]}
#                          one JSON object per line; engine and recorder are stopped on exit
#   record_finish REGEX    wait (at most 5 s) until a recorded line matches REGEX (grep -E): the stream
#                          has no end and no keep-alive, so the last events get a moment to arrive; then
#                          say how many were recorded
record_tools=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
record_curl=

record_start() {
  record_out=$(realpath -m "$1")
  record_dir=$(mktemp -d /tmp/evrec.XXXX)
  trap '[ -n "$record_curl" ] && kill $record_curl 2>/dev/null; bash "$record_tools/private_engine.sh" stop "$record_dir" >/dev/null 2>&1; rm -rf "$record_dir"' EXIT
  bash "$record_tools/private_engine.sh" start "$record_dir" >/dev/null
  export DOCKER_HOST=unix://$record_dir/docker.sock
  local filters='{"type":["container"],"label":["evonic.managed=1"]}'
  curl -sN --unix-socket "$record_dir/docker.sock" -G --data-urlencode "filters=$filters" \
    http://localhost/v1.41/events >"$record_out" &
  record_curl=$!
  sleep 0.5  # the subscription is made asynchronously
}

record_finish() {
  for _ in $(seq 50); do grep -qE "$1" "$record_out" && break; sleep 0.1; done
  sleep 0.3
  echo "recorded $(wc -l <"$record_out") events into $record_out" >&2
}
