import { resolve } from "node:path";
import type { HistoryConfig } from "../definitions/config.js";
import type { Project } from "../definitions/project.js";
import { FileHistoryStore } from "./file-store.js";
import { PgHistoryStore } from "./pg-store.js";
import { S3HistoryStore } from "./s3-store.js";
import type { HistoryStore } from "./store.js";

// One store per place: a run saves, lists and is listed by several callers, and a PostgreSQL
// store keeps a pool of connections that should be shared by them.
const opened = new Map<string, HistoryStore>();

/** The project's history store, as its config says: file (default), S3 or PostgreSQL. */
export function openHistory(project: Project): HistoryStore {
  const config = project.config.history;
  const key = `${project.root}\0${JSON.stringify(config)}`;
  let store = opened.get(key);
  if (!store) {
    store = storeFor(config, project.root);
    opened.set(key, store);
  }
  return store;
}

export function storeFor(config: HistoryConfig, root: string): HistoryStore {
  switch (config.store) {
    case "file":
      return new FileHistoryStore(resolve(root, config.path), root);
    case "s3":
      return new S3HistoryStore({
        url: config.url,
        ...(config.region ? { region: config.region } : {}),
        ...(config.endpoint ? { endpoint: config.endpoint } : {}),
        reportLinkTtlMs: config.reportLinkTtl,
      });
    case "postgres":
      return new PgHistoryStore({ url: config.url, tablePrefix: config.tablePrefix });
  }
}

/** Close every store opened here (the daemon at exit, tests). */
export async function closeHistories(): Promise<void> {
  const stores = [...opened.values()];
  opened.clear();
  await Promise.all(stores.map((s) => s.close().catch(() => {})));
}
