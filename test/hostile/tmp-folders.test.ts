/**
 * Another local user makes drill's predictable folders under the temp dir before drill (root)
 * does: their own folder, a symlink, or one anybody can write, with a `bin/postgres` of theirs
 * inside. drill refuses each with one line and never runs the planted binary.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, chown, lchown, mkdir, readdir, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { DrillError } from "../../src/errors.js";
import { clusterHome } from "../../src/providers/local/home.js";
import { serverReachable, sharedCopyPath } from "../../src/providers/local/shared-binaries.js";
import { makeProject, runCli } from "../helpers/project.js";
import { tempDir } from "../helpers/temp.js";

const NOBODY = 65534;
const sh = promisify(execFile);

beforeAll(() => {
  // The attacks are root's problem: only root trusts these folders for another user.
  expect(process.getuid?.()).toBe(0);
});

/** A shared temp dir like /tmp (root's, others may not write) and a marker nothing may create. */
async function host() {
  const tmp = await tempDir("tmp", { walkable: true });
  const marker = join(await tempDir("marker", { walkable: true }), "MARKER");
  return { tmp, marker };
}

/** What binaries.ts does with serverReachable's answer: run the copy's postgres. */
async function runPostgresFrom(nativeDir: string, tmp: string) {
  const dir = await serverReachable(nativeDir, tmp);
  await sh(join(dir, "bin", "postgres"), ["--version"]);
  return dir;
}

/** A `native/` folder like the embedded package's, in a private folder postgres cannot reach. */
async function nativePackage() {
  const pkg = await tempDir("native-pkg");
  await writeFile(join(pkg, "package.json"), JSON.stringify({ version: "15.0.0-test" }));
  const native = join(pkg, "native");
  await mkdir(join(native, "bin"), { recursive: true });
  await writeFile(join(native, "bin", "postgres"), "#!/bin/sh\necho 'postgres (PostgreSQL) 15'\n", {
    mode: 0o755,
  });
  await mkdir(join(native, "lib"), { mode: 0o775 });
  return native;
}

/** The attacker's copy: `.complete` and a bin/postgres that leaves a marker when run. */
async function plantCopy(dir: string, marker: string) {
  await mkdir(join(dir, "bin"), { recursive: true, mode: 0o755 });
  await writeFile(join(dir, ".complete"), "");
  await writeFile(join(dir, "bin", "postgres"), `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
}

const chownTree = async (dir: string, uid: number) => {
  await sh("chown", ["-hR", `${uid}:${uid}`, dir]);
};

async function refused(p: Promise<unknown>, path: string, reason: RegExp) {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DrillError);
  const err = e as DrillError;
  expect(err).toMatchObject({ code: "UNSAFE_TEMP_FOLDER", exitCode: 3 });
  expect(err.message).not.toContain("\n");
  expect(err.message.startsWith(`refusing ${path}: `)).toBe(true);
  expect(err.message).toMatch(reason);
  expect(err.hint).toContain(`rm -rf ${path}`);
}

describe("the shared copy of the PostgreSQL binaries", () => {
  it("is made root's alone, nothing writable by others, and reused", async () => {
    const { tmp } = await host();
    const native = await nativePackage();
    const dir = await runPostgresFrom(native, tmp);
    expect(dir).toBe(await sharedCopyPath(native, tmp));
    for (const p of [dir, join(dir, "bin"), join(dir, "lib"), join(dir, "bin", "postgres")]) {
      const st = await stat(p);
      expect(st.uid, p).toBe(0);
      expect(st.mode & 0o022, p).toBe(0);
    }
    expect((await stat(dir)).mode & 0o777).toBe(0o755);
    // No half copy left beside it; the next run uses it as it is.
    expect((await readdir(tmp)).filter((n) => n.startsWith("drill-postgres-"))).toEqual([
      dir.slice(tmp.length + 1),
    ]);
    expect(await runPostgresFrom(native, tmp)).toBe(dir);
  });

  it("a copy that is root's alone is trusted: the planted binary would run (the control)", async () => {
    const { tmp, marker } = await host();
    const native = await nativePackage();
    await plantCopy(await sharedCopyPath(native, tmp), marker);
    await runPostgresFrom(native, tmp);
    expect(existsSync(marker)).toBe(true);
  });

  it.each([
    [
      "owned by another user",
      async (dir: string, marker: string) => {
        await plantCopy(dir, marker);
        await chownTree(dir, NOBODY);
      },
      /it belongs to uid 65534 \(nobody\), not to root$/,
    ],
    [
      "a symlink to the other user's copy",
      async (dir: string, marker: string) => {
        const theirs = await tempDir("theirs", { walkable: true });
        await plantCopy(theirs, marker);
        await chownTree(theirs, NOBODY);
        await symlink(theirs, dir);
        await lchown(dir, NOBODY, NOBODY);
      },
      /it is a symbolic link$/,
    ],
    [
      "a symlink to a copy of root's",
      async (dir: string, marker: string) => {
        const roots = await tempDir("roots", { walkable: true });
        await plantCopy(roots, marker);
        await symlink(roots, dir);
        await lchown(dir, NOBODY, NOBODY);
      },
      /it is a symbolic link$/,
    ],
    [
      "root's but writable by everyone",
      async (dir: string, marker: string) => {
        await plantCopy(dir, marker);
        await chmod(dir, 0o777);
      },
      /it is writable by every user \(mode 0777\)$/,
    ],
    [
      "root's, with a bin/ anybody could plant in",
      async (dir: string, marker: string) => {
        await plantCopy(dir, marker);
        await chmod(join(dir, "bin"), 0o777);
      },
      /\/bin is writable by every user \(mode 0777\)$/,
    ],
    [
      "root's, with a bin/postgres of another user",
      async (dir: string, marker: string) => {
        await plantCopy(dir, marker);
        await chown(join(dir, "bin", "postgres"), NOBODY, NOBODY);
      },
      /\/bin\/postgres belongs to uid 65534 \(nobody\), not to root$/,
    ],
  ])("%s is refused with one line and its bin/postgres never runs", async (_, plant, reason) => {
    const { tmp, marker } = await host();
    const native = await nativePackage();
    const planted = await sharedCopyPath(native, tmp);
    await plant(planted, marker);
    await refused(runPostgresFrom(native, tmp), planted, reason);
    expect(existsSync(marker)).toBe(false);
  });

  it("a temp dir another user can write (not sticky) is refused on the way", async () => {
    const { tmp, marker } = await host();
    await chmod(tmp, 0o777);
    const native = await nativePackage();
    await refused(
      runPostgresFrom(native, tmp),
      await sharedCopyPath(native, tmp),
      /on the way to it is writable by others and not sticky \(mode 0777\)$/,
    );
    expect(existsSync(marker)).toBe(false);
  });
});

/** Where clusterHome puts a private project's clusters under `tmp`. */
const homeOf = (root: string, tmp: string) =>
  join(tmp, `drill-clusters-${createHash("sha256").update(root).digest("hex").slice(0, 12)}`);

describe("the cluster folder of a project postgres cannot reach", () => {
  it("is made root's, 0711: the server user passes through, nobody lists it", async () => {
    const { tmp } = await host();
    const root = await tempDir("private-project");
    const home = clusterHome(root, tmp);
    expect(home).toBe(homeOf(root, tmp));
    const st = await stat(home);
    expect([st.uid, st.mode & 0o7777]).toEqual([0, 0o711]);
    // One an older drill made 0755 is tightened.
    await chmod(home, 0o755);
    expect(clusterHome(root, tmp)).toBe(home);
    expect((await stat(home)).mode & 0o7777).toBe(0o711);
  });

  it.each([
    [
      "owned by another user",
      async (dir: string) => {
        await mkdir(dir, { mode: 0o755 });
        await chown(dir, NOBODY, NOBODY);
      },
      /it belongs to uid 65534 \(nobody\), not to root$/,
    ],
    [
      "root's but writable by everyone",
      async (dir: string) => {
        await mkdir(dir);
        await chmod(dir, 0o777);
      },
      /it is writable by every user \(mode 0777\)$/,
    ],
  ])("%s is refused, left as it was, nothing written in it", async (_, plant, reason) => {
    const { tmp } = await host();
    const root = await tempDir("private-project");
    const home = homeOf(root, tmp);
    await plant(home);
    const before = await stat(home);
    await refused((async () => clusterHome(root, tmp))(), home, reason);
    const after = await stat(home);
    expect([after.uid, after.mode]).toEqual([before.uid, before.mode]);
    expect(await readdir(home)).toEqual([]);
  });

  it("a symlink is refused and its target keeps its mode (no chmod through the link)", async () => {
    const { tmp } = await host();
    const root = await tempDir("private-project");
    const secret = await tempDir("secret"); // root's 0700
    const home = homeOf(root, tmp);
    await symlink(secret, home);
    await lchown(home, NOBODY, NOBODY);
    await refused((async () => clusterHome(root, tmp))(), home, /it is a symbolic link$/);
    expect((await stat(secret)).mode & 0o777).toBe(0o700);
  });

  it("`drill run` as root stops with exit 3 and one line before anything goes into the folder", async () => {
    const { tmp } = await host();
    const root = await makeProject({
      "config/drill.yaml": "environments:\n  sandbox: { provider: local, scale: 0.02 }\n",
      "drills/small.yaml":
        "name: small\nenvironment: sandbox\nsteps:\n  - restore: { from: { snapshot: latest } }\n",
    });
    await chmod(root, 0o700); // postgres cannot reach it: clusters go under the temp dir
    const home = homeOf(root, tmp);
    await mkdir(home, { mode: 0o755 });
    await chown(home, NOBODY, NOBODY);
    const r = await runCli(["run", "small"], { cwd: root, env: { TMPDIR: tmp } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      new RegExp(
        `^drill small: refusing ${home}: it belongs to uid 65534 \\(nobody\\), not to root \\(hint: [^\\n]*\\)\\n$`,
      ),
    );
    expect(await readdir(home)).toEqual([]);
    expect((await stat(home)).uid).toBe(NOBODY);
  });
});
