# kungfu-ts under pm2-runtime (PM2 in the foreground, logs on stdout), as the operations guide's
# Docker section describes, with the stack's own ecosystem (scripts/ecosystem.config.cjs: master,
# ledger, md_binance, td_binance, strategy_demo). Journals, logs and the accounts database persist
# in the KF_HOME volume; add the account once before the first start (README, "Docker").
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# npm ci builds the journal's native addon (node-gyp): its sources first.
COPY package.json package-lock.json binding.gyp ./
COPY native ./native
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/build/Release ./build/Release
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY scripts ./scripts
# Strategies are compiled at start (esbuild); they import the strategy API's types from src/.
COPY strategies ./strategies
COPY src ./src
ENV KF_HOME=/app/runtime
VOLUME /app/runtime
# The master's API stays on loopback inside the container unless you publish it on purpose:
# add KF_MASTER_HOST=0.0.0.0 only behind a firewall.
CMD ["node_modules/.bin/pm2-runtime", "start", "scripts/ecosystem.config.cjs"]
