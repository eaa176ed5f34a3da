import { execFile } from "node:child_process";
import { createServer, type IncomingMessage } from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { describe, it } from "vitest";
import { REPO, withoutNpmConfig } from "../helpers/project.js";
import { tempDir } from "../helpers/temp.js";

/**
 * `.ci/run`'s audit step (.ci/audit.mjs) against a local registry that answers npm's bulk
 * advisory request as told: refused (405, as npm's registry answers from these machines), an
 * advisory of a given severity, or a server error. Only the audit endpoint is local; npm, the
 * project's lock file and its installed tree are the real ones.
 */
type Answer = { status: number; advisories?: Record<string, unknown[]> };

/** Run the audit step against a registry of its own that gives `answer`; what npm asked, too. */
async function audit(answer: Answer) {
  let asked: Record<string, string[]> = {};
  const server = createServer((req, res) => {
    void body(req).then((text) => {
      if (req.method === "POST" && req.url?.endsWith("/-/npm/v1/security/advisories/bulk")) {
        asked = JSON.parse(text) as Record<string, string[]>;
        res.writeHead(answer.status, { "content-type": "application/json" });
        res.end(answer.advisories ? JSON.stringify(answer.advisories) : "");
        return;
      }
      // npm reads a vulnerable package's versions (its packument) to size the advisory's range.
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  const env = {
    ...withoutNpmConfig(),
    npm_config_registry: url,
    npm_config_fetch_retries: "0",
    // npm keeps what it worked out about an advisory in its cache, keyed by the advisory's id.
    npm_config_cache: await tempDir("npm-cache"),
  };
  try {
    const r = await promisify(execFile)(process.execPath, [join(REPO, ".ci/audit.mjs")], {
      cwd: REPO,
      env,
    })
      .then((out) => ({ code: 0, ...out }))
      .catch((e: { code: number; stdout: string; stderr: string }) => e);
    return { ...r, url, asked };
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  return (req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString();
}

const advisory = (severity: string) => ({
  "pg-connection-string": [
    {
      id: 1,
      url: "https://github.com/advisories/GHSA-0000-test",
      title: "advisory for the test",
      severity,
      vulnerable_versions: "<99.0.0",
      cwe: [],
      cvss: { score: 0, vectorString: null },
    },
  ],
});

// Each case has its own registry and npm cache, so they run side by side.
describe.concurrent(".ci/audit.mjs", () => {
  it("goes on with one line when the registry's audit endpoint refuses (405)", async ({
    expect,
  }) => {
    const r = await audit({ status: 405 });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual([
      `npm audit: skipped, the registry's audit endpoint refused (405 ${r.url}-/npm/v1/security/advisories/bulk); the offline supply-chain test still runs`,
    ]);
    // What npm asked about: production dependencies only (--omit=dev).
    expect(Object.keys(r.asked)).toContain("pg");
    expect(Object.keys(r.asked)).not.toContain("vitest");
  });

  it("fails on a high advisory against a production dependency, naming it", async ({ expect }) => {
    const r = await audit({ status: 200, advisories: advisory("high") });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "high: pg-connection-string <99.0.0: advisory for the test https://github.com/advisories/GHSA-0000-test",
    );
    expect(r.stderr).toMatch(/vulnerable production packages: [1-9]\d* high, 0 critical/);
  });

  it("passes below the level (a moderate advisory) and says what it saw", async ({ expect }) => {
    const r = await audit({ status: 200, advisories: advisory("moderate") });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/no high or critical advisory .*\(0 low, [1-9]\d* moderate\)/);
  });

  it("fails when the audit could not run at all (a server error is not a refusal)", async ({
    expect,
  }) => {
    const r = await audit({ status: 503 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^npm audit failed \(exit 1\): .*503/);
  });
});
