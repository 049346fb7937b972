#!/usr/bin/env bash
# CI for the image and the deployment files (issue 17), on a Debian 12/13 host as root, after
# `npm ci` and `npm run build:binary` (.ci/run calls it when it exists). No Docker engine, no
# registry: umoci/skopeo build the image, runc runs it.
#
#   bash .ci/image.sh            # SLUICE_IMAGE_BINARY=... to ship another binary than dist/sluice
#
# Checks (each one counted; the last line is exactly "N passed, M failed"):
#   tools, build:image (size), test/image (the Dockerfile and the OCI config agree; manifests'
#   policy), Dockerfile lint (dockerfile-utils), the image under runc as Kubernetes runs it (uid
#   65532, read-only root, no capabilities, tmpfs /tmp, /etc/sluice a read-only directory in the
#   kubelet's ..data layout, secrets as files and environment): start -> first answer, proxying,
#   key-auth with vault secrets, /status and /status/ready, reload on a ..data swap, an invalid
#   file keeping the old config (error in /status), SIGTERM draining a request in flight then exit
#   0; the e2e suite's proxy, reload, auth plugins and /status/ready files against the image;
#   buildah building the Dockerfile (or one line saying why not) and comparing it with build:image;
#   kustomize render + schema + unknown-field validation; the example gateway.yaml files valid in
#   the image; systemd-analyze verify of the unit.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
T0=$(date +%s%N)
passed=0
failed=0
ms() { echo $((($(date +%s%N) - $1) / 1000000)); }
say() { echo "=== image [$(($(ms "$T0") / 1000)) s] $*"; }
pass() { passed=$((passed + 1)); echo "  ok   $*"; }
fail() { failed=$((failed + 1)); echo "  FAIL $*"; }
# check NAME CMD...: runs CMD (output kept in $WORK/NAME.log, shown on failure), times it.
check() {
  local name=$1 t
  shift
  t=$(date +%s%N)
  if "$@" >"$WORK/$name.log" 2>&1; then
    pass "$name ($(ms "$t") ms)"
  else
    fail "$name ($(ms "$t") ms):"
    tail -25 "$WORK/$name.log" | sed 's/^/       /'
    return 1
  fi
}
finish() {
  say "done in $(($(ms "$T0") / 1000)) s"
  echo "${passed} passed, ${failed} failed"
  [ "$failed" -eq 0 ]
  exit $?
}

WORK=$(mktemp -d /var/tmp/sluice-image-ci.XXXXXX)
chmod 0755 "$WORK"
STATE=$WORK/runc-state
export STORAGE_DRIVER=vfs
upstream_pid=""
cleanup() {
  # Only what this script started: its containers (own runc state dir), its upstream, its images.
  if [ -d "$STATE" ]; then
    for id in $(runc --root "$STATE" list -q 2>/dev/null); do
      runc --root "$STATE" kill "$id" KILL >/dev/null 2>&1
      runc --root "$STATE" delete --force "$id" >/dev/null 2>&1
    done
  fi
  [ -n "$upstream_pid" ] && kill "$upstream_pid" 2>/dev/null
  if command -v buildah >/dev/null 2>&1; then
    buildah rmi localhost/sluice-ci:dockerfile localhost/sluice-base:ci >/dev/null 2>&1
    buildah rm --all >/dev/null 2>&1
  fi
  awk -v w="$WORK/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

# --- tools ---------------------------------------------------------------------------------------
say "tools: umoci runc skopeo mmdebstrap jq curl (+ buildah when it installs)"
t=$(date +%s%N)
need=()
for tool in umoci runc skopeo mmdebstrap jq curl; do command -v "$tool" >/dev/null || need+=("$tool"); done
if [ ${#need[@]} -gt 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") >"$WORK/apt.log" 2>&1
fi
command -v buildah >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah >"$WORK/apt-buildah.log" 2>&1 || true
missing=""
for tool in umoci runc skopeo mmdebstrap jq curl; do command -v "$tool" >/dev/null || missing+=" $tool"; done
if [ -z "$missing" ]; then pass "tools ($(ms "$t") ms)"; else fail "tools: missing$missing"; finish; fi

# --- build:image ---------------------------------------------------------------------------------
say "npm run build:image"
if ! check build-image npm run --silent build:image; then finish; fi
image_tar=$(du -m dist/sluice-image.tar | cut -f1)
image_oci=$(du -sm dist/oci | cut -f1)
layers=$(find dist/oci/blobs -type f -size +100k -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f", s / 1048576 }')
echo "  image: ${image_tar} MB unpacked (dist/sluice-image.tar), ${layers} MB compressed layers, dist/oci ${image_oci} MB with the base tag"

say "test/image: Dockerfile vs OCI config, manifests' policy"
check test-image node node_modules/vitest/vitest.mjs run test/image --reporter=default

say "Dockerfile lint (dockerfile-utils)"
lint() { local out; out=$(node node_modules/dockerfile-utils/bin/dockerfile-utils lint Dockerfile 2>&1); local rc=$?; echo "$out"; [ $rc -eq 0 ] && [ -z "$out" ]; }
check dockerfile-lint lint

# --- the image under runc --------------------------------------------------------------------------
say "umoci unpack"
check unpack umoci unpack --image dist/oci:latest "$WORK/bundle" || finish
chmod 0755 "$WORK/bundle"
export SLUICE_RUNC_ROOTFS=$WORK/bundle/rootfs SLUICE_RUNC_STATE=$STATE

# A free port below the ephemeral range (outgoing connections never take it meanwhile).
port() { node -e '
  const net = require("net");
  const tryOne = () => { const p = 30000 + Math.floor(Math.random() * 2700); const s = net.createServer();
    s.once("error", tryOne); s.listen(p, "127.0.0.1", () => { console.log(p); s.close(); }); };
  tryOne();'; }
UP=$(port)
PROXY=$(port)
ADMIN=$(port)
# A demo upstream outside the container: echoes method, path and headers; /slow answers after 1.5 s.
node -e '
  require("http").createServer((req, res) => {
    const send = () => { res.setHeader("content-type", "application/json"); res.end(JSON.stringify({ upstream: "demo", method: req.method, path: req.url, headers: req.headers })); };
    if (req.url.startsWith("/slow")) setTimeout(send, 1500); else send();
  }).listen(Number(process.argv[1]), "127.0.0.1");
' "$UP" &
upstream_pid=$!

# /etc/sluice and /etc/sluice-secrets as the kubelet lays out a ConfigMap / Secret volume.
CM=$WORK/configmap
SEC=$WORK/secret
kubelet_put() { # kubelet_put DIR VERSION FILE CONTENT...: a new ..VERSION dir, then an atomic ..data swap
  local dir=$1 v=$2
  shift 2
  mkdir -p "$dir/..$v"
  while [ $# -gt 0 ]; do printf '%s\n' "$2" >"$dir/..$v/$1"; [ -e "$dir/$1" ] || ln -s "..data/$1" "$dir/$1"; shift 2; done
  chmod -R a+rX "$dir"
  ln -sfn "..$v" "$dir/..data_tmp"
  mv -T "$dir/..data_tmp" "$dir/..data"
}
gateway_yaml() { # gateway_yaml EXTRA_PATH
  cat <<EOF
_format_version: "3.0"
services:
  - name: demo
    url: http://127.0.0.1:$UP
    routes:
      - name: demo
        paths: [/demo$1]
  - name: private
    url: http://127.0.0.1:$UP
    routes:
      - name: private
        paths: [/private]
    plugins:
      - name: key-auth
        config: { hide_credentials: true }
consumers:
  - username: ci-bot
    keyauth_credentials:
      - key: "{vault://file//etc/sluice-secrets/ci-bot-key}"
  - username: partner
    keyauth_credentials:
      - key: "{vault://env/PARTNER_API_KEY}"
EOF
}
mkdir -p "$CM" "$SEC"
chmod 0755 "$CM" "$SEC"
kubelet_put "$CM" v1 gateway.yaml "$(gateway_yaml '')"
kubelet_put "$SEC" s1 ci-bot-key "ci-bot-key-from-a-secret-file"

say "runc: the image as Kubernetes runs it"
start_ns=$(date +%s%N)
env -i PATH="$PATH" SLUICE_RUNC_ROOTFS="$SLUICE_RUNC_ROOTFS" SLUICE_RUNC_STATE="$STATE" SLUICE_RUNC_TMP=tmpfs \
  SLUICE_RUNC_MOUNTS="$CM:/etc/sluice:ro $SEC:/etc/sluice-secrets:ro" \
  SLUICE_PROXY_LISTEN="127.0.0.1:$PROXY" SLUICE_ADMIN_LISTEN="127.0.0.1:$ADMIN" SLUICE_WORKERS=2 \
  SLUICE_DRAIN_TIMEOUT_MS=10000 PARTNER_API_KEY=partner-key-from-env \
  test/image/runc-sluice.sh >"$WORK/gateway.log" 2>&1 &
gw=$!
first=""
for _ in $(seq 1 600); do
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PROXY/demo")" = 200 ]; then first=$(ms "$start_ns"); break; fi
  kill -0 "$gw" 2>/dev/null || break
  sleep 0.05
done
if [ -n "$first" ]; then pass "start: container start -> first proxied answer in $first ms"; else
  fail "start: no answer on 127.0.0.1:$PROXY"; tail -20 "$WORK/gateway.log" | sed 's/^/       /'
fi
# Ready: /status/ready 200 (every worker serves the config), as a readiness probe would wait.
ready=""
for _ in $(seq 1 600); do
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN/status/ready")" = 200 ]; then ready=$(ms "$start_ns"); break; fi
  kill -0 "$gw" 2>/dev/null || break
  sleep 0.05
done
if [ -n "$ready" ]; then pass "ready: container start -> /status/ready 200 in $ready ms"; else fail "ready: /status/ready never answered 200"; fi
# The file watcher settles just after start (a swap in its first moments can go unseen).
sleep 1
cid=$(runc --root "$STATE" list -q | head -1)
cpid=$(runc --root "$STATE" state "$cid" 2>/dev/null | jq -r .pid)

body=$(curl -s "http://127.0.0.1:$PROXY/demo/x?y=1")
if [ "$(jq -r '.upstream + " " + .path' <<<"$body" 2>/dev/null)" = "demo /x?y=1" ]; then pass "proxy: /demo/x?y=1 reached the upstream as /x?y=1"; else fail "proxy: $body"; fi

codes="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PROXY/private") $(curl -s -o /dev/null -w '%{http_code}' -H 'apikey: ci-bot-key-from-a-secret-file' "http://127.0.0.1:$PROXY/private") $(curl -s -o /dev/null -w '%{http_code}' -H 'apikey: partner-key-from-env' "http://127.0.0.1:$PROXY/private")"
if [ "$codes" = "401 200 200" ]; then pass "key-auth: 401 without a key, 200 with the Secret's file key and with the env key"; else fail "key-auth: got $codes (want 401 200 200)"; fi

sandbox() {
  [ -n "$cpid" ] && [ -r "/proc/$cpid/status" ] || { echo "no container pid"; return 1; }
  local uid caps rootro tmp
  uid=$(awk '/^Uid:/ { print $2 }' "/proc/$cpid/status")
  caps=$(awk '/^CapEff:/ { print $2 }' "/proc/$cpid/status")
  rootro=$(awk '$5 == "/" { print $6 }' "/proc/$cpid/mountinfo" | tail -1)
  tmp=$(awk '$5 == "/tmp" { print $9 }' "/proc/$cpid/mountinfo" | tail -1)
  cfg=$(awk '$5 == "/etc/sluice" { print $6 }' "/proc/$cpid/mountinfo" | tail -1)
  echo "uid=$uid CapEff=$caps root=$rootro /tmp=$tmp /etc/sluice=$cfg"
  [ "$uid" = 65532 ] && [ "$caps" = 0000000000000000 ] && [[ $rootro == ro* ]] && [ "$tmp" = tmpfs ] && [[ $cfg == ro* ]]
}
if out=$(sandbox); then pass "sandbox: $out"; else fail "sandbox: $out"; fi

admin() { curl -s -w '\n%{http_code}' "http://127.0.0.1:$ADMIN$1"; }
st=$(admin /status)
rd=$(admin /status/ready)
if [ "$(tail -1 <<<"$st")" = 200 ] && [ "$(tail -1 <<<"$rd")" = 200 ] && [ "$(head -n -1 <<<"$rd" | jq -r .ready)" = true ] &&
  [ "$(head -n -1 <<<"$st" | jq -r '.reload.ok')" = true ]; then
  pass "admin: /status 200 (reload ok), /status/ready 200 (2 workers on $(head -n -1 <<<"$rd" | jq -r '.config_hash[0:12]'))"
else fail "admin: /status $(tail -1 <<<"$st"), /status/ready $(tail -1 <<<"$rd")"; fi

# A ConfigMap edit: the kubelet writes a new ..<timestamp> dir and swaps ..data (a new route).
mkdir -p "$CM/..v2"
gateway_yaml '' | sed "s#^consumers:#  - name: v2\n    url: http://127.0.0.1:$UP\n    routes:\n      - name: v2\n        paths: [/v2]\nconsumers:#" >"$CM/..v2/gateway.yaml"
chmod -R a+rX "$CM"
t=$(date +%s%N)
ln -sfn ..v2 "$CM/..data_tmp" && mv -T "$CM/..data_tmp" "$CM/..data" && rm -rf "$CM/..v1"
reloaded=""
for _ in $(seq 1 500); do
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PROXY/v2")" = 200 ]; then reloaded=$(ms "$t"); break; fi
  sleep 0.02
done
if [ -n "$reloaded" ]; then pass "reload: ..data symlink swap -> new route served in $reloaded ms"; else fail "reload: /v2 never answered after the ..data swap"; fi

# An invalid file: the old configuration keeps serving, /status shows the error, still ready.
kubelet_put "$CM" v3 gateway.yaml "$(gateway_yaml '' | sed 's#paths: \[/private\]#paths: [/private#')"
bad=""
for _ in $(seq 1 500); do
  s=$(curl -s "http://127.0.0.1:$ADMIN/status")
  if [ "$(jq -r .reload.ok <<<"$s")" = false ]; then bad=$s; break; fi
  sleep 0.02
done
if [ -n "$bad" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PROXY/v2")" = 200 ] &&
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN/status/ready")" = 200 ]; then
  pass "invalid file: old config serves, still ready, /status: $(jq -c '.reload.error | {message: .message[0:60], line, column}' <<<"$bad")"
else fail "invalid file: reload.ok never false, or the old config stopped serving"; fi

# SIGTERM with a request in flight: it finishes, then exit 0.
curl -s -o "$WORK/slow.body" -w '%{http_code}' "http://127.0.0.1:$PROXY/demo/slow" >"$WORK/slow.code" &
slow=$!
sleep 0.4
t=$(date +%s%N)
kill -TERM "$gw"
wait "$gw"
rc=$?
wait "$slow"
stopped=$(ms "$t")
if [ "$rc" = 0 ] && [ "$(cat "$WORK/slow.code")" = 200 ]; then pass "SIGTERM: the request in flight got 200, exit 0 after $stopped ms"; else
  fail "SIGTERM: exit $rc, request in flight $(cat "$WORK/slow.code")"; tail -5 "$WORK/gateway.log" | sed 's/^/       /'
fi
kill "$upstream_pid" 2>/dev/null
upstream_pid=""
if [ "$failed" -gt 0 ]; then echo "  the gateway's last log lines:"; grep -v '"msg":"access"' "$WORK/gateway.log" | tail -8 | cut -c1-240 | sed 's/^/       /'; fi

# --- part of the e2e suite, against the gateway inside the image -------------------------------
say "e2e in the image: proxy, reload, auth plugins, /status/ready (SLUICE_TEST_COMMAND=test/image/runc-sluice.sh)"
t=$(date +%s%N)
if ! grep -q SLUICE_TEST_COMMAND test/helpers/gateway.ts; then
  fail "e2e: test/helpers/gateway.ts does not read SLUICE_TEST_COMMAND (issue 16's helper), so the suite cannot run the image"
fi
# The suite writes its configurations into 0700 temp dirs of the caller: the container runs as
# the caller's uid (still no capabilities, read-only root).
SLUICE_TEST_COMMAND=test/image/runc-sluice.sh SLUICE_RUNC_USER="$(id -u):$(id -g)" SLUICE_RUNC_LOG="$WORK/e2e-runs.log" \
  timeout 600 node node_modules/vitest/vitest.mjs run test/e2e/proxy.test.ts test/e2e/reload.test.ts test/e2e/auth-plugins.test.ts test/e2e/status-ready.test.ts \
  --reporter=default --reporter=json --outputFile="$WORK/e2e.json" >"$WORK/e2e.log" 2>&1
if [ -s "$WORK/e2e.json" ]; then
  read -r p f < <(jq -r '"\(.numPassedTests) \(.numFailedTests + ([.testResults[] | select(.status == "failed" and (.assertionResults | length) == 0)] | length))"' "$WORK/e2e.json")
  passed=$((passed + p))
  failed=$((failed + f))
  runs=$(grep -c ' start' "$WORK/e2e-runs.log" 2>/dev/null || echo 0)
  echo "  e2e: $p passed, $f failed ($(ms "$t") ms), $runs gateways started in the image"
  if [ "$runs" -gt 0 ]; then pass "e2e: the suite's gateways ran in the image"; else fail "e2e: no gateway ran in the image"; fi
  jq -r '.testResults[] | .assertionResults[] | select(.status == "failed") | "  FAIL e2e: \(.fullName)"' "$WORK/e2e.json"
  [ "$f" -gt 0 ] && grep -E 'FAIL|Error' "$WORK/e2e.log" | head -20 | sed 's/^/       /'
else
  fail "e2e: no report"; tail -20 "$WORK/e2e.log" | sed 's/^/       /'
fi

# --- the Dockerfile, with buildah ----------------------------------------------------------------
say "Dockerfile: buildah bud --isolation chroot with local base images"
buildah_why=""
if ! command -v buildah >/dev/null; then buildah_why="buildah is not installed and apt-get could not install it"; fi
if [ -z "$buildah_why" ]; then
  # The runtime base is build:image's own (dist/oci:base); dist/sluice comes from the context.
  if ! buildah pull -q oci:dist/oci:base >"$WORK/buildah-pull.log" 2>&1 || ! buildah tag "$(tail -1 "$WORK/buildah-pull.log")" localhost/sluice-base:ci >>"$WORK/buildah-pull.log" 2>&1; then
    buildah_why="buildah cannot import dist/oci:base here: $(tail -1 "$WORK/buildah-pull.log")"
  fi
fi
if [ -n "$buildah_why" ]; then
  echo "  skipped: $buildah_why"
else
  check buildah-bud buildah bud --isolation chroot --pull=never --layers=false \
    --build-arg RUNTIME_IMAGE=localhost/sluice-base:ci --build-arg BUILD_IMAGE=localhost/sluice-base:ci --build-arg BINARY_FROM=prebuilt \
    --build-arg VERSION="$(node -p 'require("./package.json").version')" -t localhost/sluice-ci:dockerfile .
  same_image() {
    buildah push -q localhost/sluice-ci:dockerfile "oci:$WORK/dockerfile-oci:latest" || return 1
    local a b
    cfg() { # cfg LAYOUT: the image config, minus build-specific labels
      local m
      m=$(jq -r '.manifests[0].digest' "$1/index.json" | cut -d: -f2)
      jq -S '.config | del(.Labels["io.buildah.version"], .Labels["org.opencontainers.image.revision"], .Labels["org.opencontainers.image.created"], .Labels["org.opencontainers.image.base.name"])' \
        "$1/blobs/sha256/$(jq -r .config.digest "$1/blobs/sha256/$m" | cut -d: -f2)"
    }
    files() { # files LAYOUT: every layer's entries as "mode owner path" (sizes and times differ)
      local m l
      m=$(jq -r '.manifests[0].digest' "$1/index.json" | cut -d: -f2)
      for l in $(jq -r '.layers[].digest' "$1/blobs/sha256/$m" | cut -d: -f2); do
        tar -tvzf "$1/blobs/sha256/$l" 2>/dev/null || tar -tvf "$1/blobs/sha256/$l"
      done | awk '{ p = $6; for (i = 7; i <= NF; i++) p = p " " $i; sub(/^\.?\//, "/", p); sub(/\/$/, "", p); print $1, $2, p }' | sort -u
    }
    mkdir -p "$WORK/cmp-npm"
    skopeo copy -q oci:dist/oci:latest "oci:$WORK/cmp-npm:latest" || return 1
    a=$(cfg "$WORK/cmp-npm")
    b=$(cfg "$WORK/dockerfile-oci")
    diff <(echo "$a") <(echo "$b") || { echo "configs differ"; return 1; }
    diff <(files "$WORK/cmp-npm") <(files "$WORK/dockerfile-oci") || { echo "file lists differ"; return 1; }
    echo "same config and $(files "$WORK/cmp-npm" | wc -l) entries"
  }
  check dockerfile-same-as-build-image same_image && echo "  $(tail -1 "$WORK/dockerfile-same-as-build-image.log")"
fi

# --- Kubernetes -----------------------------------------------------------------------------------
say "deploy/kubernetes: kustomize render + schemas + unknown fields"
if ! command -v kubectl >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client >"$WORK/apt-kubectl.log" 2>&1 || true
fi
render() {
  kubectl kustomize deploy/kubernetes >"$WORK/k8s-base.yaml" && kubectl kustomize deploy/kubernetes/overlays/redis >"$WORK/k8s-redis.yaml" &&
    node test/image/validate-k8s.mjs "$WORK/k8s-base.yaml" "$WORK/k8s-redis.yaml"
}
if command -v kubectl >/dev/null; then
  check kustomize-validate render && echo "  $(tail -1 "$WORK/kustomize-validate.log")"
  typo() {
    local out
    out=$(sed 's/protocol: TCP/protocl: TCP/' "$WORK/k8s-base.yaml" | node test/image/validate-k8s.mjs)
    echo "$out"
    grep -q 'protocl: unknown field; did you mean "protocol"' <<<"$out"
  }
  check kustomize-unknown-field-caught typo
else
  fail "kustomize: no kubectl (apt-get install kubernetes-client failed)"
fi

say "the example gateway.yaml files, validated by the image with their Secrets mounted"
validate_examples() {
  local d
  for d in deploy/kubernetes/base deploy/kubernetes/overlays/redis; do
    env -i PATH="$PATH" SLUICE_RUNC_ROOTFS="$SLUICE_RUNC_ROOTFS" SLUICE_RUNC_STATE="$STATE" SLUICE_RUNC_TMP=tmpfs \
      SLUICE_RUNC_MOUNTS="$REPO/$d:/etc/sluice:ro $REPO/deploy/kubernetes/base/secrets:/etc/sluice-secrets:ro" \
      PARTNER_API_KEY=x REDIS_PASSWORD=x test/image/runc-sluice.sh validate -c /etc/sluice/gateway.yaml || return 1
  done
}
check example-configs-valid validate_examples

say "deploy/systemd: systemd-analyze verify"
verify_unit() {
  # The unit runs /usr/local/bin/sluice: verify a copy that points at this build's binary.
  local bin=$REPO/dist/sluice
  sed "s#/usr/local/bin/sluice#$bin#g" deploy/systemd/sluice.service >"$WORK/sluice.service"
  systemd-analyze verify "$WORK/sluice.service" >"$WORK/verify.out" 2>&1
  local rc=$?
  cat "$WORK/verify.out"
  [ $rc -eq 0 ] && ! grep -q . "$WORK/verify.out"
}
if command -v systemd-analyze >/dev/null; then check systemd-verify verify_unit; else echo "  skipped: no systemd-analyze on this host"; fi

finish
