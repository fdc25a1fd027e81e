# sluice container image.
#
#   docker build -t sluice .
#   docker run --rm -p 8000:8000 -v "$PWD/my-kong.yml:/etc/sluice/sluice.yml:ro" sluice
#
# The image reads its declarative config (Kong's kong.yml format) from /etc/sluice/sluice.yml,
# a copy of config/sluice.yml: mount your own file there, or pass another path with
# `--config FILE` after the image name. The proxy listens on 0.0.0.0:8000; the admin API stays
# on the container's loopback (127.0.0.1:8001) unless you publish it on purpose with
# `-e KONG_ADMIN_LISTEN=0.0.0.0:8001 -p 127.0.0.1:8001:8001` (docker-compose.yml does so).
# Kong's environment names work: KONG_PROXY_LISTEN, KONG_ADMIN_LISTEN,
# KONG_NGINX_WORKER_PROCESSES, and their SLUICE_* aliases.

# ---- build: the same -dev packages and commands as scripts/install-deps.sh and the README;
# on trixie every library is native.
FROM debian:trixie-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        build-essential cmake pkg-config \
        libuv1-dev libllhttp-dev libmbedtls-dev libcyaml-dev libcjson-dev libhiredis-dev \
        libpcre2-dev zlib1g-dev libyaml-dev \
        python3 \
 && rm -rf /var/lib/apt/lists/*
# (python3: the CMake configure step looks for it, for the end-to-end tests.)
WORKDIR /src
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release \
 && cmake --build build -j --target sluice

# ---- runtime: only the shared libraries sluice links against.
FROM debian:trixie-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        libuv1t64 libllhttp9.2 libmbedtls21 libmbedx509-7 libmbedcrypto16 \
        libcjson1 libhiredis1.1.0 libpcre2-8-0 zlib1g libyaml-0-2 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin sluice
COPY --from=build /src/build/sluice /usr/local/bin/sluice
COPY config/sluice.yml /etc/sluice/sluice.yml
USER sluice
EXPOSE 8000 8001
# The config is the first of SLUICE_CONFIG, KONG_DECLARATIVE_CONFIG (as kong:latest reads it)
# and /etc/sluice/sluice.yml; arguments after the image name are added (a later --config wins).
ENTRYPOINT ["/bin/sh", "-c", "exec sluice --config \"${SLUICE_CONFIG:-${KONG_DECLARATIVE_CONFIG:-/etc/sluice/sluice.yml}}\" \"$@\"", "sluice"]
CMD []
