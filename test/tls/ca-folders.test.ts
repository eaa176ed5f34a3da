import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { libpqTlsEnv, sweepCaFolders } from "../../src/pg-tls.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The pid of a process that has ended. */
const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid;

it("sweeps the CA folders of processes that are gone, and nothing else", () => {
  const root = mkdtempSync(path.join(tmpdir(), "sweep-"));
  dirs.push(root);
  const dead = deadPid();
  const make = (name: string) => {
    mkdirSync(path.join(root, name));
    writeFileSync(path.join(root, name, "x.pem"), "PEM");
  };
  make(`drill-ca-${dead}-aB3dEf`); // its process is gone: removed
  make(`drill-ca-${process.pid}-mine01`); // this process: kept
  make("drill-ca-1-init01"); // pid 1 runs: kept
  make("drill-ca-Qx81aa"); // an older name without a pid: not judged
  const elsewhere = mkdtempSync(path.join(tmpdir(), "target-"));
  dirs.push(elsewhere);
  writeFileSync(path.join(elsewhere, "keep.txt"), "keep");
  symlinkSync(elsewhere, path.join(root, `drill-ca-${dead}-link01`)); // a link: never followed
  writeFileSync(path.join(root, `drill-ca-${dead}-file01`), "a file, not a folder");

  expect(sweepCaFolders(root)).toEqual([path.join(root, `drill-ca-${dead}-aB3dEf`)]);
  expect(readdirSync(root).sort()).toEqual(
    [
      `drill-ca-${dead}-file01`,
      `drill-ca-${dead}-link01`,
      `drill-ca-${process.pid}-mine01`,
      "drill-ca-1-init01",
      "drill-ca-Qx81aa",
    ].sort(),
  );
  expect(readdirSync(elsewhere)).toEqual(["keep.txt"]);
});

it("writes a CA held as text into a folder named with this process's pid", () => {
  const env = libpqTlsEnv({ mode: "verify-full", ca: "-----BEGIN CERTIFICATE-----\nx\n" });
  expect(path.basename(path.dirname(env.PGSSLROOTCERT!))).toMatch(
    new RegExp(`^drill-ca-${process.pid}-[A-Za-z0-9]+$`),
  );
});
