# Dockerfile -- dmarcscan in a Debian 12 image. The build stage builds the same .deb as
# `cpack -G DEB` in a build directory (CMakeLists.txt's CPack rules; tests/install/test_deb.sh
# installs, runs and removes that package); the runtime stage installs it with apt and runs
# as an unprivileged user. Build and run: README.md, "Install".
FROM debian:12-slim AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       build-essential cmake pkg-config dpkg-dev file python3-minimal \
       libuv1-dev libldns-dev libzstd-dev libjemalloc-dev libpsl-dev libck-dev \
       libcmocka-dev libidn2-dev zlib1g-dev nettle-dev libjansson-dev libcurl4-openssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Only what the package holds is built (the tests need servers the image does not have).
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDS_WERROR=ON \
    && cmake --build build -j "$(nproc)" --target dmarcscan dmarcscan_man \
    && cpack -G DEB --config build/CPackConfig.cmake -B build

FROM debian:12-slim
COPY --from=build /src/build/dmarcscan_*.deb /tmp/
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       /tmp/dmarcscan_*.deb \
    && rm -rf /var/lib/apt/lists/* /tmp/dmarcscan_*.deb \
    && useradd --system --uid 10001 --user-group --home-dir /scan --create-home \
       --shell /usr/sbin/nologin dmarcscan
USER dmarcscan
WORKDIR /scan
ENTRYPOINT ["dmarcscan"]
CMD ["--help"]
