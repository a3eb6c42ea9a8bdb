# esia-broker: build with dev dependencies, run compiled JS with production ones only.
# Node 24 LTS (Node 20 reached end of life in April 2026). No `# syntax=` line: nothing here
# needs a newer Dockerfile frontend, so the classic builder and offline BuildKit both build it.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
# GOST R 34.10-2012 signatures for ESIA come from openssl with the gost engine.
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl libengine-gost-openssl ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    CONFIG_DIR=/app/config \
    DATA_DIR=/var/lib/esia-broker
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# `npx esia-broker <command>` (admin CLI) runs dist/ through this launcher. The package is
# linked into the global prefix by hand (what `npm install -g .` would do, without npm
# resolving anything): `esia-broker` is on the PATH, and npx finds it from any directory
# instead of trying to install it into ~/.npm/_npx.
COPY bin ./bin
COPY config ./config
RUN ln -s /app /usr/local/lib/node_modules/esia-broker \
 && ln -s ../lib/node_modules/esia-broker/bin/esia-broker.js /usr/local/bin/esia-broker \
 && ln -s ../lib/node_modules/esia-broker/bin/esia-emulator.js /usr/local/bin/esia-emulator \
 && mkdir -p /var/lib/esia-broker && chown node:node /var/lib/esia-broker
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# In a pod (512-768 MiB) Node sizes V8's heap from the limit, and V8 then starts a major
# collection once the old generation is ~1.35x what survived the last one: under load, one every
# three seconds and a p99 near 28 ms. Letting it grow to 3x keeps 3-4 a minute and the p99 near
# 10 ms, for ~340 MB RSS, flat (docs/PERFORMANCE.md, "Soak"); the heap limit itself is unchanged.
CMD ["node", "--heap-growing-percent=200", "dist/src/main.js"]
