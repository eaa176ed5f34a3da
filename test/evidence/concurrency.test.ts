/**
 * Appends to one drill's chain never share a sequence: concurrent saves in one process queue up,
 * and two PostgreSQL stores (two daemon replicas) take turns under the store's advisory lock.
 */
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { sealAndSave } from "../../src/evidence/seal.js";
import { verifyDrill } from "../../src/evidence/verify.js";
import { FileHistoryStore } from "../../src/history/file-store.js";
import { PgHistoryStore } from "../../src/history/pg-store.js";
import { startTestCluster, type TestCluster } from "../helpers/cluster.js";
import { tempDir } from "../helpers/temp.js";
import { record } from "../history/helpers.js";

let pg: TestCluster;
let url: string;
beforeAll(async () => {
  pg = await startTestCluster();
  const c = pg.connection;
  url = `postgres://${c.user}:${encodeURIComponent(c.password!)}@${c.host}:${c.port}/${c.database}?sslmode=disable`;
}, 60_000);
afterAll(async () => pg?.stop());

it("six saves at once in one process: sequences 1 to 6, chain unbroken", async () => {
  const dir = await tempDir("chain");
  const store = new FileHistoryStore(join(dir, "history"), dir);
  const runs = [1, 2, 3, 4, 5, 6].map((m) => record("orders", m));
  await Promise.all(runs.map((r) => sealAndSave(store, r, undefined)));
  expect(runs.map((r) => r.chain!.sequence).sort()).toEqual([1, 2, 3, 4, 5, 6]);
  const problems = verifyDrill(await store.evidence("orders"), undefined);
  // Unsigned (no signer here), but linked: no gap, repeat or broken link.
  expect(problems.filter((p) => !p.includes("unsigned record"))).toEqual([]);
});

it("a second PostgreSQL store waits for the first one's chain lock", async () => {
  const a = new PgHistoryStore({ url });
  const b = new PgHistoryStore({ url });
  try {
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const first = a.exclusive("orders", async () => {
      order.push("a in");
      entered();
      await held;
      order.push("a out");
    });
    await inside;
    const second = b.exclusive("orders", async () => void order.push("b in"));
    // Another drill's chain is not held up.
    await b.exclusive("billing", async () => void order.push("billing"));
    // b reaches the server and waits there (polled): it must still be outside.
    const waiting = async () =>
      (
        await a.query<{ n: number }>(
          "select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted",
        )
      )[0]!.n;
    for (let i = 0; i < 250 && (await waiting()) === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(await waiting()).toBe(1);
    expect(order).toEqual(["a in", "billing"]);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(["a in", "billing", "a out", "b in"]);
  } finally {
    await a.close();
    await b.close();
  }
});
