import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { parse } from "yaml";
import { withSession } from "../../src/db.js";
import { LocalProvider } from "../../src/providers/local/provider.js";
import type { RestoredCopy } from "../../src/providers/types.js";
import { scrubDatabase } from "../../src/scrub/scrub.js";
import { REPO } from "../helpers/project.js";
import { seededRoot } from "../helpers/seeded-sandbox.js";
import { localEnv, noop, signal } from "../local/util.js";
import { SECRET, q, scrubberOf } from "./fixture.js";
import { processesNaming } from "../helpers/processes.js";

const root = await seededRoot("scrub-local");
const provider = new LocalProvider({ root, environment: localEnv() });
let copy: RestoredCopy | undefined;

afterAll(async () => {
  await copy?.dispose();
  await provider.release();
  await fs.rm(root, { recursive: true, force: true });
  expect(processesNaming(root)).toEqual([]);
});

/** Every file under `dir`, as one list of buffers. */
async function files(dir: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) out.push(await fs.readFile(path.join(e.parentPath, e.name)));
  return out;
}

it("scrubs the sandbox shop with scrubbers/shop.yaml and leaves no sampled original in the table files", async () => {
  await provider.prepare({ signal: signal(), progress: noop });
  const plan = await provider.planRestore({ kind: "snapshot", snapshot: "latest" });
  copy = await provider.restore(plan, {
    runId: "scrub-bytes",
    signal: signal(),
    progress: noop,
    onCreated: noop,
  });
  // The scrub runs as the copy's working role; CHECKPOINT is the superuser's.
  const conn = copy.connection;
  const admin = copy.admin!;
  const originals = await q<{ email: string; phone: string; street_address: string }>(
    conn,
    "select email, phone, street_address from customers order by id limit 50",
  );
  const needles = originals
    .flatMap((r) => [r.email, r.phone, r.street_address])
    .filter((v) => v.length >= 8);
  const base = path.join(root, String(copy.details.dataDir), "base");
  await withSession(admin, (db) => db.query("checkpoint"));
  const found = (bufs: Buffer[]) => needles.filter((n) => bufs.some((b) => b.includes(n)));
  // The test can fail: before the scrub the values are there.
  expect(found(await files(base)).length).toBe(needles.length);

  const raw = parse(await fs.readFile(path.join(REPO, "scrubbers/shop.yaml"), "utf8")) as Record<
    string,
    unknown
  >;
  const report = await scrubDatabase(conn, scrubberOf({ ...raw, secret: SECRET }), {
    file: "scrubbers/shop.yaml",
    workers: 4,
    leakScan: { sample: 1000, patterns: true, canaries: true },
    signal: signal(),
    progress: noop,
  });
  expect(report.findings).toEqual([]);
  expect(report.outcome).toBe("passed");
  expect(report.tables.map((t) => t.table)).toEqual(["customers", "payments"]);
  await withSession(admin, (db) => db.query("checkpoint"));
  expect(found(await files(base))).toEqual([]);
  const orphans = await q(
    conn,
    "select count(*)::int n from orders o left join customers c on c.id = o.customer_id where c.id is null",
  );
  expect(orphans).toEqual([{ n: 0 }]);
});
