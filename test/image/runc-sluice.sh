#!/usr/bin/env bash
# Runs `sluice ARGS...` inside the image, under runc, as a drop-in for the binary (no ARGS: the
# image's own entrypoint, `/sluice start`):
#
#   SLUICE_TEST_COMMAND=test/image/runc-sluice.sh npx vitest run test/e2e/proxy.test.ts
#
# The container is the image as Kubernetes runs it: its own root file system, read-only; no
# capabilities, no new privileges; the image's entrypoint binary /sluice. It shares the host's
# network namespace (the tests talk to 127.0.0.1; there is no CNI here) and stops with this
# script: SIGTERM/SIGINT/SIGHUP are passed on, and the exit code is the gateway's.
#
# Environment:
#   SLUICE_RUNC_ROOTFS   the image unpacked (`umoci unpack --image dist/oci:latest B`: B/rootfs);
#                        default dist/image-bundle/rootfs
#   SLUICE_RUNC_CONFIG   umoci's config.json for it (default: beside the rootfs)
#   SLUICE_RUNC_USER     uid:gid (default: the image's, 65532:65532). The e2e suite sets the
#                        caller's uid: it writes its configurations into 0700 temp directories.
#   SLUICE_RUNC_TMP      host: bind the host's /tmp (and $TMPDIR) at the same path, so that the
#                        tests' config files are where they said (default); tmpfs: an empty tmpfs,
#                        like a Kubernetes emptyDir
#   SLUICE_RUNC_MOUNTS   extra "SRC:DST[:ro]" bind mounts, space-separated
#   SLUICE_RUNC_LOG      a file to which each run appends one line (how CI proves that the suite
#                        ran its gateways in the image)
#   SLUICE_RUNC_STATE    runc's state directory (--root), default /run/sluice-runc; .ci/image.sh
#                        removes every container left in it
# Every other variable of this process's environment is passed into the container (the tests
# set SLUICE_* and {vault://env/...} variables that way), but PATH and HOME; on top of the
# image's own (SLUICE_CONFIG, PATH, HOME).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
rootfs=${SLUICE_RUNC_ROOTFS:-$repo/dist/image-bundle/rootfs}
template=${SLUICE_RUNC_CONFIG:-$(dirname "$rootfs")/config.json}
state=${SLUICE_RUNC_STATE:-/run/sluice-runc}
user=${SLUICE_RUNC_USER:-}
tmpmode=${SLUICE_RUNC_TMP:-host}
[ -d "$rootfs" ] && [ -f "$template" ] || { echo "runc-sluice: no unpacked image at $rootfs (see .ci/image.sh)" >&2; exit 125; }

bundle=$(mktemp -d /var/tmp/sluice-runc.XXXXXX)
id=sluice-$$-$RANDOM
cleanup() {
  runc --root "$state" delete --force "$id" >/dev/null 2>&1
  rm -rf "$bundle"
}
trap cleanup EXIT

# The environment, as a JSON array, minus what belongs to the host.
envs=()
while IFS= read -r -d '' e; do
  case $e in PATH=* | HOME=* | PWD=* | OLDPWD=* | SHLVL=* | _=* | TERM=* | SLUICE_RUNC_*) ;; *) envs+=("$e") ;; esac
done < <(env -0)
json_array() { node -e 'process.stdout.write(JSON.stringify(process.argv.slice(1)))' -- "$@"; }
envjson=$(json_array "${envs[@]}")
mounts='[]'
addmount() { # addmount SRC DST ro|rw
  mounts=$(jq -c --arg s "$1" --arg d "$2" --arg m "$3" '. + [{destination: $d, type: "bind", source: $s, options: ["rbind", "nosuid", "nodev", $m]}]' <<<"$mounts")
}
if [ "$tmpmode" = host ]; then
  addmount /tmp /tmp rw
  if [ -n "${TMPDIR:-}" ] && [ "${TMPDIR%/}" != /tmp ] && [ -d "$TMPDIR" ]; then addmount "$TMPDIR" "$TMPDIR" rw; fi
  # Relative paths given to sluice resolve as on the host: the working directory, read-only.
  [ "$PWD" != / ] && addmount "$PWD" "$PWD" ro
else
  mounts=$(jq -c '. + [{destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=1777", "size=64m"]}]' <<<"$mounts")
fi
for m in ${SLUICE_RUNC_MOUNTS:-}; do
  IFS=: read -r src dst mode <<<"$m"
  addmount "$src" "$dst" "${mode:-rw}"
done

cwd=/
[ "$tmpmode" = host ] && cwd=$PWD
# Open files: as many as this host allows (runc cannot raise a hard limit; podman's default does).
nofile=$(ulimit -Hn); [ "$nofile" = unlimited ] && nofile=1048576
jq --argjson nofile "$nofile" --arg rootfs "$rootfs" --argjson env "$envjson" --argjson mounts "$mounts" --arg user "$user" --arg cwd "$cwd" \
  --argjson args "$(json_array /sluice "$@")" '
  .root = {path: $rootfs, readonly: true}
  | .process.terminal = false
  | .process.args = (if ($args | length) > 1 then $args else .process.args end)
  | .process.cwd = $cwd
  | .process.env = ([.process.env[], $env[] | select(startswith("TERM=") | not) | {key: .[0:index("=")], value: .}]
      | reduce .[] as $e ({}; .[$e.key] = $e.value) | [.[]])
  | .process.capabilities = {bounding: [], effective: [], inheritable: [], permitted: [], ambient: []}
  | .process.noNewPrivileges = true
  | .process.rlimits = [{type: "RLIMIT_NOFILE", hard: $nofile, soft: $nofile}]
  | (if $user != "" then .process.user = {uid: ($user | split(":")[0] | tonumber), gid: ($user | split(":")[1] // ($user | split(":")[0]) | tonumber)} else . end)
  | .linux.namespaces = [.linux.namespaces[] | select(.type != "network")]
  | .mounts = [.mounts[] | select(.destination != "/tmp")] + $mounts
' "$template" >"$bundle/config.json" || { echo "runc-sluice: cannot write config.json" >&2; exit 125; }

mkdir -p "$state"
[ -n "${SLUICE_RUNC_LOG:-}" ] && echo "$id $*" >>"$SLUICE_RUNC_LOG"
runc --root "$state" run --bundle "$bundle" "$id" &
pid=$!
forward() { kill -s "$1" "$pid" 2>/dev/null; }
trap 'forward TERM' TERM
trap 'forward INT' INT
trap 'forward HUP' HUP
while :; do
  wait "$pid"
  rc=$?
  # wait returns early (>128) when a trapped signal arrives; go on waiting for runc itself.
  kill -0 "$pid" 2>/dev/null || break
done
exit "$rc"
