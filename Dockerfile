# syntax=docker/dockerfile:1
# directory-sync: one image for every role (ROLE=all|api|worker).

# --- build: dev dependencies, compile, then keep production dependencies only ---
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json nest-cli.json ormconfig.ts ./
COPY scripts ./scripts
COPY src ./src
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev

# --- runtime: compiled code and production dependencies, as a non-root user ---
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    ROLE=all \
    PORT=3000 \
    DATA_DIR=/app/.data
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000
# SIGTERM is handled (jobs finish within SHUTDOWN_GRACE_MS, the rest go back to the queue).
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
