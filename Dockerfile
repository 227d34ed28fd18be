# The SAC emulator as a container image: one static (musl) sacctl binary on an empty base.
#
#   docker build -t sacctl --build-arg SACCTL_GIT_COMMIT="$(git rev-parse --short=12 HEAD)" .
#   docker run --rm -p 8030:8030 -p 8031:8031 -v sac-state:/data sacctl
#
# See docs/install.md. The build context is the repository (.dockerignore keeps target/ out).

FROM rust:1-alpine AS build
# musl-dev: the C parts (bundled SQLite, ring) link against musl; the result is static.
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY . .
# `--version` names the commit: the context has no .git, so it comes as a build argument.
ARG SACCTL_GIT_COMMIT=""
ENV SACCTL_GIT_COMMIT=${SACCTL_GIT_COMMIT}
RUN cargo build --release --locked -p sacctl \
    && cp target/release/sacctl /sacctl \
    && /sacctl --version \
    && mkdir -p /rootfs/data

FROM scratch
COPY --from=build /sacctl /usr/local/bin/sacctl
# The state (SQLite, signing keys) lives in /data: owner-only, owned by the unprivileged user.
COPY --from=build --chown=65532:65532 --chmod=700 /rootfs/data /data
USER 65532:65532
VOLUME ["/data"]
EXPOSE 8030 8031
# `status` reads /data/emulator.json (written once the emulator listens) and asks /emulator/health.
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/sacctl", "emulator", "status", "--data-dir", "/data"]
ENTRYPOINT ["/usr/local/bin/sacctl"]
# 0.0.0.0 so the published ports reach it; the admin API still answers only requests whose Host names
# a loopback name or this host (give -e SACCTL_EMULATOR_ADMIN_TOKEN=... on a shared machine).
CMD ["emulator", "--host", "0.0.0.0", "--data-dir", "/data"]
