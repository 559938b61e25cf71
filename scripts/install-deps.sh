#!/usr/bin/env bash
# Installs, from Debian's packages, whatever the build and the tests need and the machine lacks.
# Usage: scripts/install-deps.sh [build|test]   (test = build + package + what the tests start:
#                                                engine, promtool)
#        scripts/install-deps.sh package       (build + what cpack needs for the .deb)
#        scripts/install-deps.sh demo          (build + what scripts/demo.sh starts)
set -euo pipefail
mode=${1:-build}
pkgs=(cmake g++ make pkg-config prometheus-cpp-dev libcivetweb-dev libcurl4-openssl-dev zlib1g-dev
      nlohmann-json3-dev libssl-dev libsqlite3-dev libcrypt-dev libyaml-cpp-dev curl help2man)
# The package (scripts/package.sh): dpkg-shlibdeps finds its Depends, file finds its ELF files.
if [ "$mode" = package ] || [ "$mode" = test ]; then
  pkgs+=(dpkg-dev file)
fi
if [ "$mode" = test ]; then
  pkgs+=(libgtest-dev libgmock-dev docker.io busybox-static prometheus clang-format python3
         openssl apache2-utils sqlite3 util-linux debootstrap)
  # Issue D: deploy checks (Alertmanager, docker-compose config, systemd-analyze, dashboard schema).
  pkgs+=(prometheus-alertmanager docker-compose systemd python3-jsonschema python3-yaml)
  # Issue G: the fuzz targets (tests/fuzz) are built with clang; libFuzzer is libclang_rt.fuzzer
  # in libclang-rt-14-dev (bookworm's clang is 14).
  pkgs+=(clang libclang-rt-14-dev)
  # Issue H: the live page (/ui/) is tested in a real browser, headless, through chromedriver.
  pkgs+=(chromium chromium-driver)
  # Issue J: the socket proxy's config (deploy/socket-proxy/haproxy.cfg) checked and run in front
  # of a private engine.
  pkgs+=(haproxy)
  # Issue I: the cgroup v2 engine runs in an emulated guest (tests/tools/cgroup-v2-engine.sh,
  # which would also install these itself) built with debootstrap into an ext4 image.
  pkgs+=(qemu-system-x86 e2fsprogs)
fi
if [ "$mode" = demo ]; then  # scripts/demo.sh: a private engine, Prometheus and Alertmanager
  pkgs+=(docker.io busybox-static prometheus prometheus-alertmanager python3)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
# Another apt (unattended-upgrades, a second terminal) may hold the dpkg lock: wait for it, up to
# 10 minutes, instead of failing at once with "Could not get lock".
lock_wait=(-o DPkg::Lock::Timeout=600)
if fuser /var/lib/dpkg/lock-frontend /var/lib/apt/lists/lock >/dev/null 2>&1; then
  echo "install-deps: another apt is running; waiting for its lock (up to 10 minutes)" >&2
fi
"${sudo_cmd[@]}" apt-get "${lock_wait[@]}" update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get "${lock_wait[@]}" install -y -qq \
  --no-install-recommends "${missing[@]}" >/dev/null
