# The Sign'Stash binaries in one image (each service is started with its own command; see
# docker-compose.yml). Build: `docker build -t signstash .`
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends pkg-config libssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release -p integration-ws -p client-portal -p backoffice -p signstash-sign \
    && cp target/release/integration-ws target/release/client-portal target/release/backoffice \
          target/release/signstash-sign /usr/local/bin/

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libssl3 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/signstash signstash \
    && mkdir -p /var/lib/signstash && chown signstash /var/lib/signstash
COPY --from=build /usr/local/bin/integration-ws /usr/local/bin/client-portal \
     /usr/local/bin/backoffice /usr/local/bin/signstash-sign /usr/local/bin/
USER signstash
WORKDIR /var/lib/signstash
ENV SIGNSTASH_INTEGRATION_BIND=0.0.0.0:8080 \
    SIGNSTASH_DOCUMENT_DIR=/var/lib/signstash/documents \
    SIGNSTASH_LOG_JSON=true
EXPOSE 8080 8081 8082
CMD ["integration-ws", "serve"]
