#!/usr/bin/env bash
# `npm run build:image`: the OCI image of dist/sluice, without a Docker engine (SPEC §1, §9).
#
# Writes
#   dist/oci/                    an OCI image layout with two tags:
#                                  base      the distroless-style glibc base (Debian 13 libraries the
#                                            binary needs, passwd/group/nsswitch/hosts, /tmp 1777),
#                                            what the Dockerfile's RUNTIME_IMAGE can be locally;
#                                  <version> (and latest) base + /sluice + /etc/sluice/gateway.yaml
#   dist/sluice-image.tar        `docker load`-able (docker-archive) tarball, named sluice:<version>
#
# The same file layout and metadata as the Dockerfile's runtime stage: both take them from
# scripts/image-metadata.json (checked by test/image/metadata.test.ts).
#
# Environment (all optional):
#   SLUICE_IMAGE_BINARY   the binary to ship (default dist/sluice, from `npm run build:binary`)
#   SLUICE_IMAGE_CONFIG   the default /etc/sluice/gateway.yaml (default ./gateway.yaml)
#   SLUICE_IMAGE_DEBIAN   a directory holding Debian 13's libc6/libstdc++6/libgcc-s1/tzdata/netbase/
#                         ca-certificates extracted (default: dist/image-debian, made once with mmdebstrap)
#   SLUICE_IMAGE_TAG      the tag (default: package.json's version)
#   SOURCE_DATE_EPOCH     the image's creation time (default: the last commit's time)
#
# Needs umoci, skopeo and (once, for the Debian libraries) mmdebstrap; runs as root (file owners
# in the layers are taken from disk).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
log() { echo "build:image: $*" >&2; }
for tool in umoci skopeo jq; do
  command -v "$tool" >/dev/null || { log "needs $tool (apt-get install -y umoci skopeo jq mmdebstrap)"; exit 1; }
done

bin=${SLUICE_IMAGE_BINARY:-dist/sluice}
config=${SLUICE_IMAGE_CONFIG:-gateway.yaml}
debian=${SLUICE_IMAGE_DEBIAN:-dist/image-debian}
version=$(node -p 'require("./package.json").version')
tag=${SLUICE_IMAGE_TAG:-$version}
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
meta=scripts/image-metadata.json
mkdir -p dist
debian=$(mkdir -p "$(dirname "$debian")" && cd "$(dirname "$debian")" && pwd)/$(basename "$debian")
oci=dist/oci
stage=dist/image-root
[ -x "$bin" ] || { log "no executable $bin: run \`npm run build:binary\` first (or set SLUICE_IMAGE_BINARY)"; exit 1; }

case $(uname -m) in
  x86_64) triplet=x86_64-linux-gnu loader=usr/lib64/ld-linux-x86-64.so.2 ;;
  aarch64) triplet=aarch64-linux-gnu loader=usr/lib/ld-linux-aarch64.so.1 ;;
  *) log "unsupported architecture $(uname -m)"; exit 1 ;;
esac

# --- Debian 13 libraries (extracted, not installed: no shell, no dpkg, no apt in the image) -----
if [ ! -e "$debian/.complete" ]; then
  log "mmdebstrap: Debian 13 (trixie) libc6, libstdc++6, libgcc-s1, tzdata, netbase into $debian"
  rm -rf "$debian"
  mmdebstrap --quiet --variant=extract --mode=root \
    --include=libc6,libstdc++6,libgcc-s1,gcc-14-base,tzdata,netbase,ca-certificates trixie "$debian"
  touch "$debian/.complete"
fi

# --- the root file systems: base (distroless-style) and app ------------------------------------
rm -rf "$stage"
base=$stage/base app=$stage/app
mkdir -p "$base" "$app"
# Debian 13's merged /usr.
mkdir -p "$base"/usr/{bin,sbin,lib,lib64} "$base/usr/lib/$triplet"
ln -s usr/bin "$base/bin"; ln -s usr/sbin "$base/sbin"; ln -s usr/lib "$base/lib"; ln -s usr/lib64 "$base/lib64"
# Exactly the shared libraries the binary links (the loader lists them; it runs on any glibc).
libs=$("$debian/$loader" --library-path "$debian/usr/lib/$triplet" --list "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u)
copy_lib() { # copy_lib PATH-INSIDE-DEBIAN (a soname link or file) -> same path in base, dereferenced
  local rel=${1#"$debian"/}
  mkdir -p "$base/$(dirname "$rel")"
  cp -L "$debian/$rel" "$base/$rel"
}
for l in $libs; do
  case $l in
    "$debian"/*) copy_lib "$l" ;;
    *) log "$bin links $l, outside the Debian 13 libraries"; exit 1 ;;
  esac
done
# The loader under its real path too, and the NSS/resolver pieces glibc loads at run time.
copy_lib "$debian/usr/lib/$triplet/$(basename "$loader")"
ln -s "../lib/$triplet/$(basename "$loader")" "$base/$loader.tmp" && rm -f "$base/$loader" && mv "$base/$loader.tmp" "$base/$loader"
for extra in libresolv.so.2 libnss_dns.so.2 libnss_files.so.2; do
  [ -e "$debian/usr/lib/$triplet/$extra" ] && copy_lib "$debian/usr/lib/$triplet/$extra"
done
# /etc: users (root, nonroot 65532, like distroless), name resolution, services, time zones.
mkdir -p "$base/etc" "$base/home/nonroot" "$base/root" "$base/tmp" "$base/usr/share"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$base/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >"$base/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\nservices: files\nprotocols: files\n' >"$base/etc/nsswitch.conf"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$base/etc/hosts"
cp "$debian/etc/services" "$debian/etc/protocols" "$base/etc/"
cp -a "$debian/usr/share/zoneinfo" "$base/usr/share/"
# The CA bundle update-ca-certificates would write (Node has its own store; this one is for
# NODE_EXTRA_CA_CERTS / --use-system-ca users, as in distroless).
mkdir -p "$base/etc/ssl/certs"
cat "$debian"/usr/share/ca-certificates/mozilla/*.crt >"$base/etc/ssl/certs/ca-certificates.crt"
ln -s /usr/share/zoneinfo/Etc/UTC "$base/etc/localtime"
# The packages' copyright files (their licences travel with the libraries).
for p in libc6 libstdc++6 libgcc-s1 gcc-14-base tzdata netbase ca-certificates; do
  mkdir -p "$base/usr/share/doc/$p"
  cp "$debian/usr/share/doc/$p/copyright" "$base/usr/share/doc/$p/"
done
printf 'PRETTY_NAME="Distroless-style (Debian GNU/Linux 13 trixie libraries), for Sluice"\nNAME="Debian GNU/Linux"\nVERSION_ID="13"\nID=debian\n' >"$base/usr/lib/os-release"
ln -s ../usr/lib/os-release "$base/etc/os-release"
chmod 1777 "$base/tmp"
chmod 0700 "$base/root" "$base/home/nonroot"
chown 65532:65532 "$base/home/nonroot"

# The app layer: the binary and a default configuration (mounted over in Kubernetes).
mkdir -p "$app/etc/sluice"
install -m 0755 "$bin" "$app/sluice"
install -m 0644 "$config" "$app/etc/sluice/gateway.yaml"
find "$stage" -exec touch -h -d "@$epoch" {} +

# --- the OCI layout ----------------------------------------------------------------------------
rm -rf "$oci"
umoci init --layout "$oci"
umoci new --image "$oci:base"
umoci insert --image "$oci:base" --history.created "$created" --history.created_by "build-image.sh: base" "$base" /
baseenv=$(jq -r '.baseEnv | to_entries[] | "--config.env=\(.key)=\(.value)"' "$meta")
# shellcheck disable=SC2086
umoci config --image "$oci:base" --no-history --created "$created" \
  --config.user "$(jq -r .user "$meta")" --config.workingdir / $baseenv \
  --os linux --architecture "$(uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')"

umoci tag --image "$oci:base" "$tag"
umoci insert --image "$oci:$tag" --history.created "$created" --history.created_by "build-image.sh: /sluice, /etc/sluice/gateway.yaml" "$app" /
args=(--config.user "$(jq -r .user "$meta")" --config.workingdir "$(jq -r .workdir "$meta")" --config.stopsignal "$(jq -r .stopsignal "$meta")"
  --clear=config.entrypoint --clear=config.cmd --no-history)
while read -r e; do args+=(--config.entrypoint "$e"); done < <(jq -r '.entrypoint[]' "$meta")
while read -r p; do args+=(--config.exposedports "$p"); done < <(jq -r '.ports[]' "$meta")
while read -r e; do args+=(--config.env "$e"); done < <(jq -r '.env | to_entries[] | "\(.key)=\(.value)"' "$meta")
while IFS=$'\t' read -r k v; do
  v=${v//'${VERSION}'/$version}
  v=${v//'${REVISION}'/$revision}
  v=${v//'${CREATED}'/$created}
  v=${v//'${RUNTIME_IMAGE}'/oci:dist/oci:base}
  args+=(--config.label "$k=$v" --manifest.annotation "$k=$v")
done < <(jq -r '.labels | to_entries[] | "\(.key)\t\(.value)"' "$meta")
umoci config --image "$oci:$tag" --created "$created" "${args[@]}"
[ "$tag" = latest ] || umoci tag --image "$oci:$tag" latest
umoci gc --layout "$oci"

# --- docker load-able tarball ------------------------------------------------------------------
rm -f dist/sluice-image.tar
skopeo copy --quiet "oci:$oci:$tag" "docker-archive:dist/sluice-image.tar:sluice:$tag"
rm -rf "$stage"
log "dist/oci ($tag, latest, base), dist/sluice-image.tar: $(du -sh dist/sluice-image.tar | cut -f1), layers $(umoci stat --image "$oci:$tag" --json 2>/dev/null | jq -r '[.history[] | select(.empty_layer | not)] | length' 2>/dev/null || echo ?)"
