import { rm, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { FileHistoryStore } from "../../src/history/file-store.js";
import { PgHistoryStore } from "../../src/history/pg-store.js";
import { S3HistoryStore } from "../../src/history/s3-store.js";
import type { HistoryStore } from "../../src/history/store.js";
import { startTestCluster } from "../helpers/cluster.js";
import { makeProject } from "../helpers/project.js";
import { startS3rver } from "../helpers/s3rver.js";

/** What an attacker with write access to a store does, one record at a time. */
export interface Tamper {
  /** Overwrite the record's stored text. */
  rewrite(drill: string, id: string, text: string): Promise<void>;
  /** Delete the record and its envelope. */
  drop(drill: string, id: string): Promise<void>;
  /** Replace (text) or delete (undefined) the envelope. */
  envelope(drill: string, id: string, text: string | undefined): Promise<void>;
}

export interface StoreUnderTest {
  store: HistoryStore;
  tamper: Tamper;
  /** A project whose config points at this store, for `drill verify-evidence`. */
  root: string;
  /** Env the CLI needs to reach the store (S3 credentials come from the SDK's chain). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

const config = (history: string) =>
  `environments:\n  sandbox: { provider: local }\nhistory: ${history}\n`;

export const STORES: Record<string, () => Promise<StoreUnderTest>> = {
  file: async () => {
    const root = await makeProject({
      "config/drill.yaml": config("{ store: file, path: .drill/history }"),
    });
    const dir = join(root, ".drill/history");
    const path = (drill: string, id: string, ext: string) => join(dir, drill, `${id}${ext}`);
    return {
      store: new FileHistoryStore(dir, root),
      root,
      env: {},
      tamper: {
        rewrite: (d, id, text) => writeFile(path(d, id, ".json"), text),
        drop: async (d, id) => {
          await unlink(path(d, id, ".json"));
          await unlink(path(d, id, ".intoto.jsonl"));
        },
        envelope: (d, id, text) =>
          text === undefined
            ? unlink(path(d, id, ".intoto.jsonl"))
            : writeFile(path(d, id, ".intoto.jsonl"), text),
      },
      stop: () => rm(root, { recursive: true, force: true }),
    };
  },
  s3: async () => {
    const s3 = await startS3rver(["drill-runs"]);
    const url = "s3://drill-runs/team/history";
    const root = await makeProject({
      "config/drill.yaml": config(
        `{ store: s3, url: "${url}", endpoint: "${s3.endpoint}", region: us-east-1 }`,
      ),
    });
    const key = (d: string, id: string, ext: string) => `team/history/runs/${d}/${id}${ext}`;
    const put = (Key: string, Body: string) =>
      s3.s3.send(new PutObjectCommand({ Bucket: "drill-runs", Key, Body }));
    const del = (Key: string) => s3.s3.send(new DeleteObjectCommand({ Bucket: "drill-runs", Key }));
    const store = new S3HistoryStore({ url, endpoint: s3.endpoint, client: s3.client });
    // The CLI's store takes credentials from the SDK's default chain, which reads this process's
    // environment, not the Io's.
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = "S3RVER";
    process.env.AWS_SECRET_ACCESS_KEY = "S3RVER";
    return {
      store,
      root,
      env: {},
      tamper: {
        rewrite: async (d, id, text) => void (await put(key(d, id, ".json"), text)),
        drop: async (d, id) => {
          await del(key(d, id, ".json"));
          await del(key(d, id, ".intoto.jsonl"));
        },
        envelope: async (d, id, text) =>
          void (await (text === undefined
            ? del(key(d, id, ".intoto.jsonl"))
            : put(key(d, id, ".intoto.jsonl"), text))),
      },
      stop: async () => {
        for (const [k, v] of [
          ["AWS_ACCESS_KEY_ID", saved.id],
          ["AWS_SECRET_ACCESS_KEY", saved.secret],
        ] as const)
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        await store.close();
        await s3.stop();
        await rm(root, { recursive: true, force: true });
      },
    };
  },
  postgres: async () => {
    const pg = await startTestCluster();
    const c = pg.connection;
    // The test cluster is plain, on loopback: drill would otherwise insist on verified TLS.
    const url = `postgres://${c.user}:${encodeURIComponent(c.password!)}@${c.host}:${c.port}/${c.database}?sslmode=disable`;
    const root = await makeProject({
      "config/drill.yaml": config('{ store: postgres, url: "${HISTORY_URL}" }'),
    });
    const store = new PgHistoryStore({ url });
    return {
      store,
      root,
      env: { HISTORY_URL: url },
      tamper: {
        rewrite: async (_d, id, text) =>
          void (await store.query("update drill_runs set record = $2::jsonb where id = $1", [
            id,
            text,
          ])),
        drop: async (_d, id) =>
          void (await store.query("delete from drill_runs where id = $1", [id])),
        envelope: async (_d, id, text) =>
          void (await store.query("update drill_runs set evidence = $2 where id = $1", [
            id,
            text ?? null,
          ])),
      },
      stop: async () => {
        await store.close();
        await pg.stop();
        await rm(root, { recursive: true, force: true });
      },
    };
  },
};
