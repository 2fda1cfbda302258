# syntax=docker/dockerfile:1
#
# Convene container image. Build: docker build -t convene .
# The image has no PostgreSQL server: give it CONVENE_DATABASE_URL (see
# docker-compose.yml). Without one, `convene serve` would try to start an
# embedded PostgreSQL and stop with a clear error, as there is none here.

############################ build ############################
FROM debian:12 AS build
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
	build-essential cmake pkg-config ca-certificates \
	libmicrohttpd-dev libpq-dev libical-dev libjansson-dev libsodium-dev liboath-dev \
	libcurl4-openssl-dev libcjose-dev libcmocka-dev zlib1g-dev libcairo2-dev libpango1.0-dev \
	nodejs npm \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Front-end assets first: this layer is reused until the lock file changes.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && test -f node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css

COPY CMakeLists.txt ./
COPY scripts/ scripts/
COPY include/ include/
COPY server/ server/
COPY sql/ sql/
COPY web/ web/
COPY ics-templates/ ics-templates/
COPY templates/ templates/
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release \
 && cmake --build build --target convene -j"$(nproc)" \
 && strip build/convene

########################### runtime ###########################
FROM debian:12-slim
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
	libmicrohttpd12 libpq5 libical3 libjansson4 libsodium23 liboath0 libcurl4 zlib1g \
	libcjose0 libssl3 \
	libcairo2 libpango-1.0-0 libpangocairo-1.0-0 libglib2.0-0 \
	libharfbuzz0b fonts-liberation2 \
	ca-certificates curl tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --user-group --home-dir /var/lib/convene \
	--create-home --shell /usr/sbin/nologin convene

COPY --from=build /src/build/convene /usr/local/bin/convene
COPY --from=build /src/node_modules/govuk-frontend/dist/govuk /usr/share/convene/govuk-frontend
COPY --from=build /src/web /usr/share/convene/web
COPY --from=build /src/ics-templates /usr/share/convene/ics-templates
COPY --from=build /src/templates /usr/share/convene/templates

ENV CONVENE_LISTEN=0.0.0.0:8080 \
    CONVENE_DATA_DIR=/var/lib/convene \
    CONVENE_ASSETS_DIR=/usr/share/convene/web \
    CONVENE_TEMPLATES_DIR=/usr/share/convene/ics-templates

USER convene
WORKDIR /var/lib/convene
VOLUME ["/var/lib/convene"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
	CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/convene", "serve"]
