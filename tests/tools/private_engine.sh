#!/usr/bin/env bash
# A private Docker engine for tests: its own socket, data root, exec root, pid file and containerd, all in
# one folder, so tests never touch a user's Docker and can run beside other engines.
#
# Usage:
#   private_engine.sh start DIR   start dockerd with every file in DIR (DIR/data, DIR/exec, DIR/docker.pid,
#                                 DIR/docker.sock, DIR/dockerd.log), wait for /_ping, import the image
#                                 evonic-sandbox:test (busybox-static) if missing, and print
#                                 DOCKER_HOST=unix://DIR/docker.sock on stdout. On failure: the tail of
#                                 DIR/dockerd.log on stderr, exit status non-zero.
#   private_engine.sh stop DIR    remove every container of that engine, stop dockerd, kill leftovers of
#                                 DIR (containerd, shims, container processes), unmount everything under
#                                 DIR. Idempotent; afterwards `rm -rf DIR` works.
#
# Environment: DOCKER_CLI (default /usr/bin/docker, the client that matches the 20.10 daemon),
#              DOCKERD (default dockerd), PRIVATE_ENGINE_TIMEOUT (start deadline in seconds, default 60).
#
# Networking: the daemon gets no bridge, no iptables rules, no forwarding, no masquerading; run containers
# with `--network none`.
set -euo pipefail

DOCKER_CLI=${DOCKER_CLI:-/usr/bin/docker}
DOCKERD=${DOCKERD:-dockerd}
START_TIMEOUT=${PRIVATE_ENGINE_TIMEOUT:-60}
IMAGE=evonic-sandbox:test
# Applets linked in the image (all from one static busybox).
APPLETS=(sh sleep yes dd cat head tail rm mkdir ls echo env true false kill ps top wc seq sync stat du df id
         touch printf test grep find chmod cp mv ln sed awk date uname hostname free uptime timeout nproc
         readlink basename dirname tr cut sort uniq xargs tee)

log() { echo "private_engine: $*" >&2; }

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}

# ping DIR -> 0 when the engine answers OK
ping_ok() {
  [ -S "$1/docker.sock" ] || return 1
  [ "$(curl -s --max-time 5 --unix-socket "$1/docker.sock" http://localhost/_ping 2>/dev/null || true)" = OK ]
}

# The pid in DIR/docker.pid if that process is alive and is a dockerd of DIR (guards against pid reuse).
engine_pid() {
  local dir=$1 pid
  [ -f "$dir/docker.pid" ] || return 1
  pid=$(tr -dc '0-9' <"$dir/docker.pid")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  local cmd
  cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" || true)
  [[ "$cmd" == *"--pidfile $dir/docker.pid"* ]] || return 1
  echo "$pid"
}

fail_start() {
  local dir=$1
  shift
  log "$*"
  if [ -f "$dir/dockerd.log" ]; then
    echo "---- tail of $dir/dockerd.log ----" >&2
    tail -n 40 "$dir/dockerd.log" >&2 || true
  fi
  exit 1
}

build_image() {
  local dir=$1 busybox
  busybox=$(command -v busybox || true)
  [ -n "$busybox" ] || fail_start "$dir" "busybox not found (install busybox-static)"
  if ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
    # `file` may be missing; ldd says "not a dynamic executable" for a static binary.
    ldd "$busybox" >/dev/null 2>&1 && fail_start "$dir" "$busybox is not statically linked (install busybox-static)"
  fi
  local b="$dir/image-build"
  rm -rf "$b"
  mkdir -p "$b/rootfs/bin" "$b/rootfs/tmp" "$b/rootfs/proc" "$b/rootfs/sys" "$b/rootfs/dev" "$b/rootfs/etc" \
           "$b/rootfs/root" "$b/rootfs/workspace"
  chmod 1777 "$b/rootfs/tmp"
  cp "$busybox" "$b/rootfs/bin/busybox"
  local a
  for a in "${APPLETS[@]}"; do ln -s busybox "$b/rootfs/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$b/rootfs/etc/passwd"
  printf 'root:x:0:\n' >"$b/rootfs/etc/group"
  tar -C "$b/rootfs" -cf "$b/rootfs.tar" .
  DOCKER_HOST="unix://$dir/docker.sock" "$DOCKER_CLI" import \
    --change 'ENV PATH=/bin' --change 'CMD ["sh"]' "$b/rootfs.tar" "$IMAGE" >/dev/null ||
    fail_start "$dir" "docker import of $IMAGE failed"
  rm -rf "$b"
}

cmd_start() {
  local dir
  mkdir -p "$1"
  dir=$(cd "$1" && pwd -P)
  # unix socket paths are limited to 107 bytes; containerd's lives deeper than ours.
  if [ ${#dir} -gt 60 ]; then
    fail_start "$dir" "DIR path too long for unix sockets (${#dir} > 60 chars): use a short mktemp dir"
  fi
  mkdir -p "$dir/data" "$dir/exec"
  if engine_pid "$dir" >/dev/null && ping_ok "$dir"; then
    log "engine of $dir already running"
  else
    # An empty config file so that a machine-wide /etc/docker/daemon.json is not read.
    [ -f "$dir/daemon.json" ] || echo '{}' >"$dir/daemon.json"
    rm -f "$dir/docker.sock"
    # Own session, stdin closed: the daemon outlives this script and its caller's process group.
    # Own containerd namespaces: even if dockerd picks a machine-wide containerd, nothing is shared.
    local ns
    # containerd wants ^[A-Za-z0-9]+([._-][A-Za-z0-9]+)*$: no doubled or trailing separators.
    ns="evonic-test-$(basename "$dir" | tr -c 'a-zA-Z0-9\n' '-' | tr -s '-' | sed 's/^-*//; s/-*$//')"
    setsid "$DOCKERD" \
      --config-file "$dir/daemon.json" \
      --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/docker.pid" \
      --host "unix://$dir/docker.sock" \
      --containerd-namespace "$ns" --containerd-plugins-namespace "$ns-plugins" \
      --iptables=false --ip6tables=false --bridge=none --ip-forward=false --ip-masq=false \
      --userland-proxy=false \
      </dev/null >"$dir/dockerd.log" 2>&1 &
    local launcher=$! deadline=$((SECONDS + START_TIMEOUT))
    until ping_ok "$dir"; do
      if ! kill -0 "$launcher" 2>/dev/null; then
        fail_start "$dir" "dockerd exited during start"
      fi
      if [ $SECONDS -ge $deadline ]; then
        kill "$launcher" 2>/dev/null || true
        fail_start "$dir" "dockerd did not answer /_ping within ${START_TIMEOUT}s"
      fi
      sleep 0.2
    done
  fi
  if ! DOCKER_HOST="unix://$dir/docker.sock" "$DOCKER_CLI" image inspect "$IMAGE" >/dev/null 2>&1; then
    log "importing $IMAGE from busybox"
    build_image "$dir"
  fi
  echo "DOCKER_HOST=unix://$dir/docker.sock"
}

# Pids of processes whose command line mentions DIR (containerd, shims), except this script's own.
pids_mentioning() {
  local dir=$1 p cmd
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" || true)
    if [[ "$cmd" == *"$dir/"* ]]; then
      case "$(cat "/proc/$p/comm" 2>/dev/null)" in
        containerd*|dockerd|runc) echo "$p" ;;
      esac
    fi
  done
}

# Ids of DIR's containers: folders of DIR/data/containers and ids named by DIR's shims.
container_ids() {
  local dir=$1 f
  for f in "$dir"/data/containers/*; do echo "${f##*/}"; done
  for f in $(pids_mentioning "$dir"); do
    tr '\0' '\n' 2>/dev/null <"/proc/$f/cmdline" | sed -n '/^-id$/{n;p}' || true
  done
}

# Cgroup folders (all controllers) of DIR's containers.
container_cgroups() {
  local dir=$1 id f
  for id in $(container_ids "$dir" | sort -u); do
    [[ "$id" =~ ^[0-9a-f]{64}$ ]] || continue
    for f in /sys/fs/cgroup/*/docker/"$id" /sys/fs/cgroup/docker/"$id"; do
      if [ -d "$f" ]; then echo "$f"; fi
    done
  done
}

# Processes still in the cgroups of DIR's containers.
container_pids() {
  local f
  for f in $(container_cgroups "$1"); do
    cat "$f/cgroup.procs" 2>/dev/null || true
  done | sort -u
}

wait_gone() {  # wait_gone SECONDS PID...
  local deadline=$((SECONDS + $1)) p alive
  shift
  while :; do
    alive=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && return 0
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.1
  done
}

cmd_stop() {
  local dir
  [ -d "$1" ] || { log "$1: no such folder, nothing to stop"; return 0; }
  dir=$(cd "$1" && pwd -P)
  local pid
  pid=$(engine_pid "$dir" || true)

  if ping_ok "$dir"; then
    local ids
    ids=$(DOCKER_HOST="unix://$dir/docker.sock" timeout 60 "$DOCKER_CLI" ps -aq 2>/dev/null || true)
    if [ -n "$ids" ]; then
      # shellcheck disable=SC2086
      DOCKER_HOST="unix://$dir/docker.sock" timeout 60 "$DOCKER_CLI" rm -f $ids >/dev/null 2>&1 ||
        log "docker rm -f failed; killing leftovers by hand"
    fi
  fi

  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_gone 30 "$pid"; then
      log "dockerd $pid did not exit within 30s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      wait_gone 10 "$pid" || log "dockerd $pid still alive"
    fi
  fi

  # Leftovers after a crash: container processes of DIR's containers (found by their cgroups), then the
  # containerd and shims started for DIR, then the containers' empty cgroup folders.
  local left
  left=$(container_pids "$dir")
  if [ -n "$left" ]; then
    log "killing leftover container processes of $dir: ${left//$'\n'/ }"
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null || true
    # shellcheck disable=SC2086
    wait_gone 10 $left || log "container processes still alive: ${left//$'\n'/ }"
  fi
  local cgroups
  cgroups=$(container_cgroups "$dir")
  left=$(pids_mentioning "$dir")
  if [ -n "$left" ]; then
    log "killing leftover processes of $dir: ${left//$'\n'/ }"
    # shellcheck disable=SC2086
    kill -TERM $left 2>/dev/null || true
    # shellcheck disable=SC2086
    wait_gone 10 $left || kill -KILL $left 2>/dev/null || true
  fi
  local cg
  for cg in $cgroups; do rmdir "$cg" 2>/dev/null || true; done

  # Unmount whatever is still mounted under DIR, deepest first (overlay, shm, netns, tmpfs).
  local mp round mps
  for round in 1 2 3; do
    mapfile -t mps < <(awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r -u)
    [ ${#mps[@]} -eq 0 ] && break
    [ "$round" -gt 1 ] && log "unmount round $round"
    for mp in "${mps[@]}"; do
      mp=$(printf '%b' "$mp")  # mountinfo escapes blanks as \040
      umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || true
    done
  done
  if awk -v d="$dir/" 'index($5, d) == 1 { f = 1 } END { exit !f }' /proc/self/mountinfo; then
    log "still mounted under $dir:"
    awk -v d="$dir/" 'index($5, d) == 1 { print "  " $5 }' /proc/self/mountinfo >&2
    return 1
  fi
  rm -f "$dir/docker.sock" "$dir/docker.pid"
}

[ $# -eq 2 ] || usage
case "$1" in
  start) cmd_start "$2" ;;
  stop) cmd_stop "$2" ;;
  *) usage ;;
esac
