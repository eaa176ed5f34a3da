import { promises as fs } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { LocalProvider } from "../../src/providers/local/provider.js";
import { localEnv, processesMatching, signal, tempRoot } from "./util.js";

/** Scale-1 timings for the notes; slow, so only with DRILL_MEASURE=1. */
describe.skipIf(!process.env.DRILL_MEASURE)("local provider at scale 1 (DRILL_MEASURE=1)", () => {
  let root: string | undefined;
  let provider: LocalProvider | undefined;
  afterAll(async () => {
    await provider?.release();
    if (root) {
      expect(processesMatching(root)).toEqual([]);
      await fs.rm(root, { recursive: true, force: true });
    }
  });

  it("measures seed, snapshot and restore", async () => {
    root = await tempRoot("measure");
    provider = new LocalProvider({ root, environment: localEnv({ scale: 1 }) });
    const t0 = Date.now();
    const lines: string[] = [];
    const prepared = await provider.prepare({
      signal: signal(),
      progress: (m) => lines.push(`${Date.now() - t0} ms ${m}`),
    });
    const prepareMs = Date.now() - t0;
    const plan = await provider.planRestore({ kind: "snapshot", snapshot: "latest" });
    const r0 = Date.now();
    const copy = await provider.restore(plan, {
      runId: "measure",
      signal: signal(),
      progress: (m) => lines.push(`restore +${Date.now() - r0} ms ${m}`),
      onCreated: () => {},
    });
    const restoreMs = Date.now() - r0;
    const rows = await withSession(
      copy.connection,
      async (db) =>
        (
          await db.query(
            "select (select count(*) from customers) c, (select count(*) from orders) o, (select count(*) from order_items) i, (select count(*) from payments) p",
          )
        ).rows[0],
    );
    await copy.dispose();
    const [snap] = await provider.snapshots.list();
    console.log(
      JSON.stringify(
        {
          prepareMs,
          prepared,
          snapshotMs: snap?.durationMs,
          snapshotBytes: snap?.size,
          restoreMs,
          restore: copy.details,
          rows,
        },
        null,
        2,
      ),
    );
    console.log(lines.join("\n"));
  });
});
