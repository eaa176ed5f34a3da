/**
 * `drill run` stores evidence: unsigned (said once) before `drill keygen`, signed after, each run
 * chained to the drill's previous one; `drill verify-evidence` names the unsigned one.
 */
import { existsSync } from "node:fs";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { sha256Hex } from "../../src/evidence/canonical.js";
import { UNSIGNED_NOTE } from "../../src/evidence/seal.js";
import type { RunRecord } from "../../src/types.js";
import { BASE } from "../hostile/mutate.js";
import { runMain } from "../helpers/io.js";
import { makeProject } from "../helpers/project.js";
import { processesNaming } from "../helpers/processes.js";
import { seedSandbox } from "../helpers/seeded-sandbox.js";

const DRILL = `
name: small
environment: sandbox
objectives: { rto: 5m, rpo: 26h }
steps:
  - restore: { from: { snapshot: latest }, newestData: orders.created_at }
  - scrub: { scrubber: shop }
  - verify: { checks: [{ rowCount: { table: customers, min: 100 } }] }
`;

let root: string;
let env: Record<string, string>;
const history = (...p: string[]) => join(root, ".drill/history/small", ...p);

beforeAll(async () => {
  root = await makeProject({
    "config/drill.yaml": "environments:\n  sandbox: { provider: local, scale: 0.02 }\n",
    "scrubbers/shop.yaml": BASE.scrubber,
    "drills/small.yaml": DRILL,
  });
  await seedSandbox(root);
  env = { XDG_CONFIG_HOME: join(root, "xdg"), DRILL_LOG_LEVEL: "error" };
}, 120_000);

afterAll(async () => {
  if (root) {
    expect(processesNaming(root)).toEqual([]);
    await rm(root, { recursive: true, force: true });
  }
});

it("without a key: says so once, stores the record chained and unsigned", async () => {
  const r = await runMain(["run", "small"], root, env);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe("");
  expect(r.stdout.split("\n").filter((l) => l === UNSIGNED_NOTE)).toHaveLength(1);
  const [file] = await readdirSorted();
  const record = JSON.parse(await readFile(history(file!), "utf8")) as RunRecord;
  expect(record.chain).toEqual({ previous: null, sequence: 1 });
  expect(existsSync(history(`${record.id}.intoto.jsonl`))).toBe(false);
}, 120_000);

it("after keygen: signed, chained to the unsigned ones; verify-evidence names only those", async () => {
  const keygen = await runMain(["keygen"], root, env);
  expect(keygen.code).toBe(0);
  expect(keygen.stdout).toContain(join(root, "xdg/drill/signing-key.pem"));
  const r = await runMain(["run", "small", "--json"], root, env);
  expect(r.code, r.stderr).toBe(0);
  const record = JSON.parse(r.stdout) as RunRecord;
  expect(existsSync(history(`${record.id}.intoto.jsonl`))).toBe(true);
  // The record printed is the record stored: chain included, and sha256sum-able.
  const bytes = await readFile(history(`${record.id}.json`));
  const { storedAt: _, ...stored } = record;
  expect(JSON.parse(bytes.toString())).toEqual(stored);
  expect(record.chain!.sequence).toBe(2);

  const v = await runMain(["verify-evidence"], root, env);
  expect(v.code).toBe(1);
  const lines = v.stdout.trimEnd().split("\n");
  const [first] = await readdirSorted();
  expect(lines).toEqual([
    `.drill/history/small/${first}: unsigned record (no .intoto.jsonl beside it)`,
  ]);
  expect(v.stderr).toBe("evidence NOT intact: 1 problem in 2 records of 1 drill\n");
  // The chain itself holds: previous is the sha256 of the file before.
  expect(record.chain!.previous).toBe(sha256Hex(await readFile(history(first!))));
}, 120_000);

const readdirSorted = async () =>
  (await readdir(history())).filter((n) => n.endsWith(".json")).sort();
