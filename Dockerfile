# syntax=docker/dockerfile:1
# Build: docker build -t resolver .
# Run:   docker run --rm -p 50051:50051 -e RESOLVER_TOKENS=caller:a-long-random-token resolver

# --- build: compile what needs compiling (PyICU links the system ICU) --------------------
FROM python:3.11-slim-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config libicu-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY resolver ./resolver
RUN python -m venv /opt/resolver \
 && /opt/resolver/bin/pip install --no-cache-dir .

# --- runtime: the venv, the ICU runtime, a non-root user, the default registry baked in ---
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends libicu72 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /var/lib/resolver resolver
COPY --from=build /opt/resolver /opt/resolver
ENV PATH=/opt/resolver/bin:$PATH \
    RESOLVER_STORE=/var/lib/resolver/registry.duckdb \
    RESOLVER_LOG_FORMAT=json \
    PYTHONUNBUFFERED=1
USER resolver
WORKDIR /var/lib/resolver
# Bake the embedded default registry (public-domain OFAC SDN + UN lists) into the store.
RUN resolver ingest --embedded --note "baked into the image"
ENTRYPOINT ["resolver"]
EXPOSE 50051
# Listening beyond loopback needs tokens: pass RESOLVER_TOKENS or mount a file and set RESOLVER_TOKENS_FILE.
CMD ["serve", "--host", "0.0.0.0", "--port", "50051"]
