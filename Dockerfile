# syntax=docker/dockerfile:1
# Sluice's image (SPEC §9): the single executable (dist/sluice, Node 24 + the gateway) on a
# distroless-style glibc base. `npm run build:image` makes the same image without a Docker engine
# (scripts/build-image.sh; both follow scripts/image-metadata.json, test/image/metadata.test.ts
# checks it).
#
#   docker build -t sluice .
#   docker run --rm -p 8000:8000 --read-only --tmpfs /tmp \
#     -v "$PWD/gateway.yaml:/etc/sluice/gateway.yaml:ro" sluice
#
# Build arguments (defaults in brackets):
#   BUILD_IMAGE    [docker.io/library/node:24-trixie-slim] Node 24 on Debian 13: builds dist/sluice
#   RUNTIME_IMAGE  [gcr.io/distroless/cc-debian13:nonroot] glibc >= 2.38, libstdc++, /tmp, uid 65532;
#                  `npm run build:image` writes a local equivalent as dist/oci:base
#   BINARY_FROM    [build] the stage that holds /src/dist/sluice: `build` compiles it; `prebuilt`
#                  copies dist/sluice from the build context (CI, and hosts without a registry)
#   VERSION, REVISION, CREATED   the OCI labels' values
ARG BUILD_IMAGE=docker.io/library/node:24-trixie-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian13:nonroot
ARG BINARY_FROM=build

FROM ${BUILD_IMAGE} AS build
# binutils: build:binary strips the embedded Node's symbols (~18 MB) when `strip` is there.
RUN apt-get update \
 && apt-get install -y --no-install-recommends binutils \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# Embeds this stage's Node 24 (and so uWS 20.57); the binary must start here to be shipped.
RUN SLUICE_SEA_NODE="$(command -v node)" npm run build:binary && ./dist/sluice --version

FROM scratch AS prebuilt
COPY dist/sluice /src/dist/sluice

# hadolint ignore=DL3006
FROM ${BINARY_FROM} AS binary

FROM ${RUNTIME_IMAGE}
ARG RUNTIME_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z
LABEL org.opencontainers.image.title="sluice" \
      org.opencontainers.image.description="A DB-less, GitOps API gateway on uWebSockets.js (Kong's declarative format)" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="${RUNTIME_IMAGE}"
COPY --from=binary --chmod=0755 /src/dist/sluice /sluice
# A default configuration; Kubernetes mounts its ConfigMap over the directory /etc/sluice.
COPY --chmod=0644 gateway.yaml /etc/sluice/gateway.yaml
ENV SLUICE_CONFIG=/etc/sluice/gateway.yaml
# The only place the binary writes is its private directory under /tmp: run with a read-only
# root and a tmpfs / emptyDir at /tmp.
USER 65532:65532
WORKDIR /
# 8000 proxy, 8443 TLS proxy (when certificates are configured), 8001 admin. The admin API
# listens on 127.0.0.1 unless SLUICE_ADMIN_LISTEN says otherwise, and then needs
# SLUICE_ADMIN_TOKEN (see the README's "Deploy" chapter for kubelet probes).
EXPOSE 8000 8443 8001
STOPSIGNAL SIGTERM
ENTRYPOINT ["/sluice", "start"]
