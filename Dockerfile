# syntax=docker/dockerfile:1
# Build stage: full toolchain for native modules (sqlite3 compiles; argon2 ships prebuilds).
FROM node:24-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json moleculer.config.ts ./
COPY shared ./shared
COPY services ./services
COPY repl ./repl
COPY console ./console
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# Runtime stage: production dependencies and compiled JavaScript only, as the unprivileged `node` user.
FROM node:24-bookworm-slim AS runtime
# MALLOC_MMAP_THRESHOLD_: argon2's 19 MiB blocks go back to the OS after each hash instead of
# staying in glibc's per-thread arenas (about 90 MB of RSS kept for good otherwise).
# LIVENESS_FILE: the broker keeps it fresh while it runs (shared/liveness-file.ts); the
# HEALTHCHECK below reads it, so it works for workers (PORT=0, no HTTP port) as for the gateway.
ENV NODE_ENV=production \
    MALLOC_MMAP_THRESHOLD_=131072 \
    SERVICEDIR=dist/services \
    DATA_DIR=/data \
    LIVENESS_FILE=/tmp/platform-alive \
    PORT=3000
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
# No VOLUME: it would give every container an anonymous volume nobody removes. With SQLite
# (no DATABASE_URL), mount a named volume on /data yourself (docs/deploy.md).
# Healthy while the file was touched in the last 30 s (six beats): no port needed, no second node process.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD test -n "$(find "$LIVENESS_FILE" -newermt '30 seconds ago' 2>/dev/null)"
# The V8 heap gets 3/8 of MEMORY_BUDGET_MB (192 MB of 512); the rest is native memory, code and
# worker threads. 8 MB semi-spaces keep the young generation from growing to ~110 MB under bursts
# (peak RSS 275 instead of 352 MB under the standard load, same throughput: docs/benchmarks.md). `exec` keeps node as PID 1's direct replacement, so it receives SIGTERM itself and
# the broker stops taking work and finishes what it holds.
CMD exec node --max-old-space-size=$(( ${MEMORY_BUDGET_MB:-512} * 3 / 8 )) --max-semi-space-size=8 node_modules/moleculer/bin/moleculer-runner.mjs --config dist/moleculer.config.js --mask "**/*.service.js"
