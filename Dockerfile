# syntax=docker/dockerfile:1
# yizhan 驿站 — one static-ish binary (pages and the sample dataset are embedded) on Debian slim.
#   docker build -t yizhan .
#   docker run -p 8080:8080 -v yizhan-data:/data -e YIZHAN_ADMIN_TOKEN=… yizhan
# See docs/DEPLOY.md.

############################ build ############################
FROM rust:1-bookworm AS build
WORKDIR /src

# 1. Dependencies only: this layer is rebuilt only when Cargo.toml or Cargo.lock change. The manifest names two
#    benches, so cargo needs files at their paths even to build the binary: empty stand-ins here.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs \
 && echo 'fn main() {}' > benches/index.rs \
 && echo 'fn main() {}' > benches/upload.rs \
 && cargo build --release --locked --bin yizhan \
 && rm -rf src benches

# 2. The crate itself. `touch` so that cargo sees the real sources as newer than the stand-ins it just built
#    (COPY keeps the build context's mtimes, which may be older).
COPY src ./src
COPY benches ./benches
COPY static ./static
COPY data ./data
RUN touch src/main.rs src/lib.rs \
 && cargo build --release --locked --bin yizhan \
 && ./target/release/yizhan --version

############################ run ############################
FROM debian:bookworm-slim
# ca-certificates only: nothing else is needed at run time (no TLS is made by the server itself today, but the
# tile URL and future outbound calls should not fail on a missing CA bundle).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 yizhan \
 && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home --shell /usr/sbin/nologin yizhan \
 && mkdir -p /data \
 && chown 10001:10001 /data

COPY --from=build /src/target/release/yizhan /usr/local/bin/yizhan

ENV YIZHAN_DATA_DIR=/data \
    YIZHAN_ADDR=0.0.0.0:8080 \
    YIZHAN_LOG_FORMAT=json
# The durable dataset, its versions and the problem reports. A named volume inherits the owner (10001) of /data;
# a bind-mounted host directory must be writable by uid 10001.
VOLUME ["/data"]
USER 10001:10001
EXPOSE 8080

# No curl in the slim image, and none added: bash (always present in Debian) opens a TCP connection with
# /dev/tcp, sends a minimal HTTP/1.1 request and checks the status line. The port follows YIZHAN_ADDR.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["bash", "-c", "exec 3<>\"/dev/tcp/127.0.0.1/${YIZHAN_ADDR##*:}\" && printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]

# SIGTERM: stop accepting, let requests in flight finish (with a grace period), exit 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/yizhan"]
CMD ["serve"]
