import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { daemonSchema } from "../../src/definitions/config.js";
import { REPO } from "../helpers/project.js";
import { cliCommands, composeSecretProblems, dockerfileProblems } from "./rules.js";

/** The Dockerfile and docker-compose.yml, read as data: no Docker engine runs here. */
const read = (path: string) => readFile(join(REPO, path), "utf8");
// The port the daemon listens on when config says nothing: the image must expose that one.
const PORT = daemonSchema.parse({}).port;

describe("Dockerfile", async () => {
  const dockerfile = await read("Dockerfile");

  it("follows every rule, and ships everything package.json ships", async () => {
    const { files } = JSON.parse(await read("package.json")) as { files: string[] };
    expect(files).toContain("dist");
    expect(files).toContain("npm-shrinkwrap.json");
    expect(dockerfileProblems(dockerfile, { port: PORT, files })).toEqual([]);
  });

  // The Dockerfile's own pin (docker-library/repo-info's index digest of node:20-bookworm-slim).
  const NODE = /FROM (\S+) AS build/.exec(dockerfile)![1]!;
  const good = `FROM ${NODE} AS build
RUN npm ci --ignore-scripts && npm run build
FROM ${NODE} AS runtime
RUN npm ci --omit=dev --ignore-scripts
COPY --from=build /src/dist ./dist
USER 1000:1000
EXPOSE ${PORT}
HEALTHCHECK CMD ["node", "-e", "fetch('http://127.0.0.1:${PORT}/healthz')"]
ENTRYPOINT ["tini", "--", "drill"]
CMD ["daemon", "--host", "0.0.0.0"]
`;
  const broken = (from: string | RegExp, to: string) => {
    const text = good.replace(from, to);
    expect(text, `${from} is not in the sample`).not.toBe(good);
    return dockerfileProblems(text, { port: PORT });
  };

  it("finds nothing wrong with a minimal good one, and each broken rule in a bad one", () => {
    expect(dockerfileProblems(good, { port: PORT })).toEqual([]);
    expect(broken(/FROM \S+ AS build[^]*?FROM \S+ AS runtime\n/, `FROM ${NODE}\n`)).toEqual([
      "1 stage(s): build and runtime must be apart",
      "every stage needs a name (FROM … AS x)",
    ]);
    expect(broken("USER 1000:1000\n", "")).toEqual([
      "the runtime stage sets no USER: it would run as root",
    ]);
    expect(broken("USER 1000:1000", "USER root")).toEqual(["USER root is root"]);
    expect(broken("USER 1000:1000", "USER 0:0")).toEqual(["USER 0 is root"]);
    expect(broken(/USER 1000:1000\n([^]*)$/, "$1USER node\n")).toEqual([
      "USER comes after CMD/ENTRYPOINT",
    ]);
    expect(broken("RUN npm ci --omit=dev --ignore-scripts", "RUN npm ci --ignore-scripts")).toEqual(
      ["the runtime stage does not install production dependencies (npm ci --omit=dev)"],
    );
    expect(broken("npm ci --omit=dev --ignore-scripts", "npm ci --omit=dev")).toEqual([
      "npm ci --omit=dev runs every dependency's install script (add --ignore-scripts)",
    ]);
    // Every FROM of an image carries a digest; a FROM of an earlier stage names no image.
    expect(broken(`FROM ${NODE} AS runtime`, "FROM node:20-slim AS runtime")).toEqual([
      "FROM node:20-slim is not pinned by digest (@sha256:…)",
    ]);
    expect(broken(`FROM ${NODE} AS build`, "FROM node:20-bookworm-slim AS build")).toEqual([
      "FROM node:20-bookworm-slim is not pinned by digest (@sha256:…)",
    ]);
    expect(broken(`FROM ${NODE} AS runtime`, "FROM build AS runtime")).toEqual([]);
    expect(
      broken(
        "RUN npm ci --omit=dev --ignore-scripts",
        "RUN npm ci --omit=dev --ignore-scripts\nCOPY --from=build /src/node_modules ./node_modules",
      ),
    ).toEqual([
      "copies build's node_modules (dev dependencies too): /src/node_modules ./node_modules",
    ]);
    expect(broken("/healthz", "/metrics")).toEqual(["no HEALTHCHECK on /healthz"]);
    expect(broken(`:${PORT}/healthz`, ":8080/healthz")).toEqual([
      `HEALTHCHECK not on port ${PORT}`,
    ]);
    expect(broken('CMD ["daemon", "--host", "0.0.0.0"]', 'CMD ["run", "quickstart"]')).toEqual([
      'ENTRYPOINT + CMD run ["tini","--","drill","run","quickstart"], not drill daemon',
    ]);
    expect(broken('CMD ["daemon", "--host", "0.0.0.0"]', 'CMD ["daemon"]')).toEqual([
      "the daemon does not listen on 0.0.0.0 (--host 0.0.0.0)",
    ]);
    expect(broken(`FROM ${NODE} AS build`, `ARG NPM_TOKEN=abc\nFROM ${NODE} AS build`)).toEqual([
      "ARG NPM_TOKEN has a value",
    ]);
    expect(broken("USER 1000", "ENV PGPASSWORD=drill DRILL_LOG_LEVEL=info\nUSER 1000")).toEqual([
      "ENV PGPASSWORD has a value",
    ]);
    // A secret's name without a value (supplied at run time) is how it should be.
    expect(broken("USER 1000", "ARG NPM_TOKEN\nUSER 1000")).toEqual([]);
    expect(dockerfileProblems(good, { port: PORT, files: ["dist", "schema"] })).toEqual([
      "the runtime stage does not copy schema/ (package.json files)",
    ]);
    // Any source of a COPY counts, not only its first.
    expect(
      dockerfileProblems(good.replace("COPY --from=build /src/dist ./dist", "COPY a b/dist ./"), {
        port: PORT,
        files: ["dist"],
      }),
    ).toEqual([]);
    expect(broken(`EXPOSE ${PORT}`, "EXPOSE 8080")).toEqual([
      `EXPOSE 8080 does not include the daemon's port ${PORT}`,
    ]);
  });

  it("runs a command the CLI has", () => {
    expect([...cliCommands().keys()]).toContain("daemon");
  });
});

/** A published port: "15432:5432" → 15432. */
const published = (p: unknown) => Number(String(p).split(":").at(-2));
describe("docker-compose.yml", async () => {
  const compose = parse(await read("docker-compose.yml"), { merge: true }) as {
    services: Record<string, Record<string, unknown>>;
  };
  const services = compose.services;
  const readme = await read("README.md");

  it("has the primary, its standby, the S3 server and the daemon, on the ports the README names", () => {
    for (const name of ["primary", "standby", "s3", "daemon"])
      expect(services).toHaveProperty(name);
    const section = readme.split(/^## /m).find((s) => s.startsWith("Container and deployment"));
    expect(section, "README section").toBeDefined();
    // The README's compose table: | `service` | … | published port |
    const named = [...section!.matchAll(/^\| `([a-z0-9-]+)` +\|.*\| (\d+) +\|$/gm)];
    expect(named.map((m) => m[1]).sort()).toEqual(
      Object.keys(services)
        .filter((s) => services[s]!.ports)
        .sort(),
    );
    for (const [, service, port] of named)
      expect((services[service!]!.ports as unknown[]).map(published), service).toEqual([
        Number(port),
      ]);
    expect(services.daemon!.ports).toEqual([`${PORT}:${PORT}`]);
  });

  it("keeps passwords out: every one comes from the environment", () => {
    for (const [name, service] of Object.entries(services))
      expect(
        composeSecretProblems((service.environment ?? {}) as Record<string, unknown>),
        name,
      ).toEqual([]);
    expect(
      composeSecretProblems({
        POSTGRES_PASSWORD: "hunter2",
        AWS_SECRET_ACCESS_KEY: "${KEY:-S3RVER}",
        URL: "postgres://drill:hunter2@primary/drill",
        OK: "postgres://drill:${PW:-dev}@primary/drill",
      }),
    ).toEqual(["POSTGRES_PASSWORD is a literal", "URL has a literal password in its URL"]);
  });

  it("starts the daemon after the databases and S3 are healthy, and checks each service", () => {
    const deps = services.daemon!.depends_on as Record<string, { condition: string }>;
    for (const name of ["primary", "standby", "s3"])
      expect(deps[name], name).toEqual({ condition: "service_healthy" });
    for (const [name, service] of Object.entries(services))
      expect(service.healthcheck, `${name} healthcheck`).toBeDefined();
    expect(services.daemon!.command).toEqual(["daemon", "--host", "0.0.0.0"]);
  });
});
