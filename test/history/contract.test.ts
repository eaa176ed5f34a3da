import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileHistoryStore } from "../../src/history/file-store.js";
import { PgHistoryStore } from "../../src/history/pg-store.js";
import { S3HistoryStore } from "../../src/history/s3-store.js";
import { latest, type HistoryStore } from "../../src/history/store.js";
import { startTestCluster } from "../helpers/cluster.js";
import { record } from "./helpers.js";
import { startS3rver } from "../helpers/s3rver.js";
import { tempDir } from "../helpers/temp.js";

/** Every store keeps the same records the same way: one contract, three stores. */
const stores: Record<string, () => Promise<{ store: HistoryStore; stop(): Promise<void> }>> = {
  file: async () => {
    const dir = await tempDir("history");
    return {
      store: new FileHistoryStore(join(dir, ".drill/history"), dir),
      stop: () => rm(dir, { recursive: true, force: true }),
    };
  },
  s3: async () => {
    const s3 = await startS3rver(["drill-runs"]);
    const store = new S3HistoryStore({
      url: "s3://drill-runs/team/history",
      endpoint: s3.endpoint,
      client: s3.client,
    });
    return { store, stop: async () => (await store.close(), await s3.stop()) };
  },
  postgres: async () => {
    const pg = await startTestCluster();
    const c = pg.connection;
    // The test cluster is plain, on loopback: drill would otherwise insist on verified TLS.
    const url = `postgres://${c.user}:${encodeURIComponent(c.password!)}@${c.host}:${c.port}/${c.database}?sslmode=disable`;
    const store = new PgHistoryStore({ url });
    return { store, stop: async () => (await store.close(), await pg.stop()) };
  },
};

describe.each(Object.keys(stores))("%s history store", (kind) => {
  let store: HistoryStore;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ store, stop } = await stores[kind]!());
  }, 60_000);
  afterAll(async () => stop?.());

  const a1 = record("orders-restore", 1);
  const b2 = record("billing", 2, "failed");
  const a3 = record("orders-restore", 3, "failed");

  it("saves records and says where", async () => {
    const where = await Promise.all([a1, b2, a3].map((r) => store.save(r)));
    const expected = {
      file: ".drill/history/orders-restore/20261128-100100-orders-restore-a001.json",
      s3: "s3://drill-runs/team/history/runs/orders-restore/20261128-100100-orders-restore-a001.json",
      postgres: "postgres:drill_runs/20261128-100100-orders-restore-a001",
    }[kind];
    expect(where[0]).toBe(expected);
    expect(store.kind).toBe(kind);
  });

  it("lists newest first, by drill, with a limit", async () => {
    expect((await store.list()).map((r) => r.id)).toEqual([a3.id, b2.id, a1.id]);
    expect((await store.list("orders-restore")).map((r) => r.id)).toEqual([a3.id, a1.id]);
    expect((await store.list(undefined, { limit: 2 })).map((r) => r.id)).toEqual([a3.id, b2.id]);
    expect(await store.list("nothing-here")).toEqual([]);
    expect((await latest(store, "billing"))?.id).toBe(b2.id);
  });

  it("gets one run whole, and nothing for an unknown id", async () => {
    const got = await store.get(b2.id);
    expect(got).toEqual({ ...b2, storedAt: got!.storedAt });
    expect(got!.storedAt).toContain(b2.id);
    expect(await store.get("20261128-100900-billing-ffff")).toBeUndefined();
    expect(await store.get("../../etc/passwd")).toBeUndefined();
  });

  it("replaces a record saved again under the same id", async () => {
    await store.save({ ...a1, outcome: "error", findings: ["x"] });
    expect((await store.get(a1.id))?.outcome).toBe("error");
    expect((await store.list("orders-restore")).length).toBe(2);
  });
});
