import { execFile } from "node:child_process";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, expect, it } from "vitest";
import { REPO, withoutNpmConfig } from "../helpers/project.js";
import { tempDir } from "../helpers/temp.js";

const run = promisify(execFile);

/**
 * A dependency nobody reviewed ships an install script: under the repository's .npmrc the
 * install fails and the script never runs. The dependency is a local tarball (no network) whose
 * postinstall writes a marker; the project beside it has the repository's .npmrc and no
 * approval. Approving the tarball by the identity npm gives it shows the marker is written when
 * the script does run.
 */
let root: string;
let tarball: string;
const marker = () => join(root, "MARKER");

beforeAll(async () => {
  root = await tempDir("install-scripts");
  const dep = join(root, "dep");
  await mkdir(dep);
  await writeFile(
    join(dep, "package.json"),
    JSON.stringify({
      name: "unreviewed",
      version: "1.0.0",
      scripts: { postinstall: `node -e "require('fs').writeFileSync(process.env.MARKER, 'ran')"` },
    }),
  );
  const packed = await run("npm", ["pack", "--ignore-scripts", "--silent"], { cwd: dep });
  tarball = join(dep, packed.stdout.trim());
});

/** `npm install` in a fresh project depending on the tarball, approving what it is given. */
async function install(name: string, allowScripts: Record<string, boolean>) {
  const app = join(root, name);
  await mkdir(app);
  await copyFile(join(REPO, ".npmrc"), join(app, ".npmrc"));
  const manifest = { name, private: true, dependencies: { unreviewed: `file:${tarball}` } };
  await writeFile(join(app, "package.json"), JSON.stringify({ ...manifest, allowScripts }));
  // Only the copied .npmrc decides, not settings npm passed down to this test.
  const env = { ...withoutNpmConfig(), MARKER: marker(), npm_config_cache: join(root, "cache") };
  return run("npm", ["install", "--offline", "--no-audit", "--no-fund"], { cwd: app, env })
    .then(() => ({ code: 0, stderr: "" }))
    .catch((e: { code: number; stderr: string }) => e);
}

it("refuses a dependency's install script that package.json does not allow", async () => {
  const r = await install("app", {});
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("ESTRICTALLOWSCRIPTS");
  expect(r.stderr).toContain("unreviewed@1.0.0 (postinstall:");
  expect(existsSync(marker())).toBe(false);
});

it("runs it once approved (the marker shows when a script ran)", async () => {
  // A file dependency's identity is its resolved tarball (what `npm install-scripts approve` writes).
  const r = await install("approved", { [`file:${tarball}`]: true });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(existsSync(marker())).toBe(true);
});
