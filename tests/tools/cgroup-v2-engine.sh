#!/usr/bin/env bash
# (Copied from the workplace's shared tools, so that CI on a new machine has it.)
# Runs a script inside a QEMU guest whose Docker engine uses cgroup v2. These machines boot cgroup v1 and
# cannot switch, and KVM does not run guests here, so the guest is emulated (TCG): about 50 s from start to
# a running container; the first run also builds the guest's root file system with debootstrap (minutes).
#
# usage: cgroup-v2-engine.sh SHARE_DIR
#   SHARE_DIR is mounted at /share in the guest. /share/run.sh runs there as root once dockerd answers
#   (DOCKER_HOST is set; busybox, docker and the packages of V2_PACKAGES are installed; no network).
#   Its output goes to SHARE_DIR/guest.log, dockerd's to SHARE_DIR/dockerd.log; the guest then powers off
#   and this script exits with run.sh's exit status.
# env: V2_PACKAGES   extra Debian packages for the guest, comma-separated (e.g. the exporter's runtime libs)
#      V2_CACHE      where built images are kept (default /var/cache/cgroup-v2-engine)
#      V2_TIMEOUT    seconds before the guest is stopped (default 900);  V2_MEM  MiB (default 2048)
set -euo pipefail
share=$(cd "${1:?usage: cgroup-v2-engine.sh SHARE_DIR}" && pwd)
[ -f "$share/run.sh" ] || { echo "no run.sh in $share" >&2; exit 2; }
cache=${V2_CACHE:-/var/cache/cgroup-v2-engine}
pkgs="linux-image-amd64,docker.io,busybox-static,kmod${V2_PACKAGES:+,$V2_PACKAGES}"
key=$(printf '%s' "$pkgs" | sha256sum | cut -c1-12)
img=$cache/rootfs-$key.img

need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ ! -s "$img" ]; then
  mkdir -p "$cache"
  root=$(mktemp -d "$cache/build.XXXX")
  echo "building the cgroup v2 guest ($pkgs), once" >&2
  debootstrap --variant=minbase --include="$pkgs" bookworm "$root" >"$cache/debootstrap-$key.log" 2>&1
  cat >"$root/v2init" <<'INIT'
#!/bin/sh
# PID 1 of the guest: mounts, dockerd on cgroup v2, /share/run.sh, power off.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm /run /tmp; mount -t devpts devpts /dev/pts; mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp; mount -t cgroup2 cgroup2 /sys/fs/cgroup
modprobe 9pnet_virtio; modprobe 9p; modprobe overlay
mkdir -p /share; mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 share /share
hostname cgroup-v2-guest; ip link set lo up 2>/dev/null || busybox ip link set lo up
dockerd --iptables=false --bridge=none --host unix:///run/docker.sock >/share/dockerd.log 2>&1 &
for i in $(seq 240); do docker -H unix:///run/docker.sock version >/dev/null 2>&1 && break; sleep 0.5; done
export DOCKER_HOST=unix:///run/docker.sock
sh /share/run.sh >/share/guest.log 2>&1
echo $? >/share/exit-status
sync; echo o >/proc/sysrq-trigger; sleep 30
INIT
  chmod +x "$root/v2init"
  cp "$root"/boot/vmlinuz-* "$cache/vmlinuz-$key"; cp "$root"/boot/initrd.img-* "$cache/initrd-$key"
  mkfs.ext4 -q -d "$root" "$img.tmp" 4G && mv "$img.tmp" "$img"
  rm -rf "$root"
fi

rm -f "$share/exit-status" "$share/guest.log"
timeout "${V2_TIMEOUT:-900}" qemu-system-x86_64 -accel tcg -m "${V2_MEM:-2048}" -smp 2 -nographic -no-reboot \
  -kernel "$cache/vmlinuz-$key" -initrd "$cache/initrd-$key" \
  -append "root=/dev/vda rw console=ttyS0 quiet init=/v2init" \
  -drive "file=$img,format=raw,if=virtio" -snapshot -nic none \
  -virtfs "local,path=$share,mount_tag=share,security_model=none" >"$share/console.log" 2>&1 || true
[ -f "$share/exit-status" ] || { echo "the guest did not finish; see $share/console.log" >&2; exit 1; }
exit "$(cat "$share/exit-status")"
