# One image for all six processes: build in release with the Swift toolchain, run on slim Debian.
FROM swift:6.2-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-dev zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Shared Shared
COPY Services Services
COPY Tools Tools
COPY Tests Tests
COPY proto proto
RUN mkdir -p /out \
    && for p in organisation-service property-service grid-service volunteers-service evaluation-service gateway governance; do \
         swift build -c release --static-swift-stdlib --product "$p" \
         && cp "$(swift build -c release --show-bin-path)/$p" /out/; done \
    && cp -R "$(swift build -c release --show-bin-path)"/*.resources /out/

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-0 zlib1g ca-certificates libcurl4 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 1000 --home /data governance && mkdir -p /data && chown governance /data
COPY --from=build /out/ /usr/local/bin/
USER governance
VOLUME /data
EXPOSE 8080 50051 50052 50053 50054 50055
