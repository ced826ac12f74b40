# Tickverse: engine + demo multiverse + gateway on one port (8000), data in /data.
# docs/deployment.md explains the image, the compose stack and every environment variable.
#
#   docker build -t tickverse .
#   docker run -p 8000:8000 -v tickverse-data:/data -e TICKVERSE_TOKEN=change-me-please tickverse

ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: all dependencies, TypeScript → dist/ ---------------------------------------------
FROM ${NODE_IMAGE} AS build
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.pages.json main.ts index.ts ./
COPY protocol ./protocol
COPY engine ./engine
COPY workers ./workers
COPY gateway ./gateway
COPY client ./client
COPY cluster ./cluster
COPY bin ./bin
COPY scripts ./scripts
COPY public ./public
# tsc → dist/; esbuild bundles the admin pages (public/src → public/assets) so they work offline.
RUN npm run build \
 && rm -rf public/src

# ---- runtime: production dependencies only, compiled JS, static admin pages -----------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    TICKVERSE_HOST=0.0.0.0 \
    TICKVERSE_PORT=8000 \
    TICKVERSE_DATA_DIR=/data \
    TICKVERSE_MODE=realtime \
    TICKVERSE_LOG_LEVEL=info
WORKDIR /app
COPY package.json package-lock.json ./
# uWebSockets.js ships a native binary for every platform × Node ABI (~130 MB); keep only the
# one this Node on this architecture loads.
RUN NPM_CONFIG_UPDATE_NOTIFIER=false npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force \
 && node -e "const fs=require('node:fs'),p=require('node:path');const d='node_modules/uWebSockets.js/dist/bin';const keep='uws_'+process.platform+'_'+process.arch+'_'+process.versions.modules+'.node';if(!fs.existsSync(p.join(d,keep)))throw new Error('uWebSockets.js has no binary '+keep);for(const f of fs.readdirSync(d))if(f!==keep)fs.rmSync(p.join(d,f))" \
 && mkdir -p /data \
 && chown node:node /data
COPY --from=build /app/dist ./dist
COPY --from=build /app/public ./public

# The application files stay owned by root (read-only to the process); only /data is writable.
USER node
VOLUME ["/data"]
EXPOSE 8000

# No curl in the slim image: Node's fetch does the probe (and follows TICKVERSE_PORT).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.TICKVERSE_PORT||8000)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# Exec form: node is PID 1 and receives SIGTERM itself (graceful stop: finish the control tick,
# write snapshots, close clients with a close code, exit 0 — well inside Docker's 10 s).
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
