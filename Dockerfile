# One image recipe for every service; SERVICE picks which one runs:
#   docker build --build-arg SERVICE=order -t boxoffice/order .
# (or keep one image and override at run time: docker run -e SERVICE=payment ...).
# Node 22 LTS: the code also runs on the Node 20.19+ of the dev machines, but 20 is out of maintenance.
ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: all dependencies; npm run build (nest build --all) compiles the services into dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first, so that a code change does not re-run npm ci.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY libs ./libs
COPY services ./services
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: compiled code and production dependencies only, as the unprivileged `node` user ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# V8's old space for each service (npm start's SERVICE_HEAP_MB): a storm's garbage is collected before 300 MB.
ENV NODE_OPTIONS=--max-old-space-size=192
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Late, so that the layers above are shared by the images of all three services.
ARG SERVICE=inventory
ENV SERVICE=${SERVICE}
USER node
# exec: node, not the shell, gets SIGTERM and shuts down gracefully (docs/operations.md#health-and-shutdown).
# As PID 1 it has no default signal handling, so run with an init (`init: true` in compose, `docker run --init`).
CMD ["sh", "-c", "exec node --enable-source-maps dist/services/$SERVICE/src/main.js"]
