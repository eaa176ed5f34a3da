import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { privateDir, writeFileAtomic } from "../private-files.js";
import type { RunRecord } from "../types.js";
import { drillOfRunId } from "../run-id.js";
import { newestFirst, type HistoryStore } from "./store.js";

/** One JSON file per run under `<dir>/<drill>/<run id>.json`, written atomically (temp + rename). */
export class FileHistoryStore implements HistoryStore {
  readonly kind = "file";

  constructor(
    private readonly dir: string,
    private readonly root: string,
  ) {}

  async save(record: RunRecord): Promise<string> {
    const folder = join(this.dir, record.drill);
    await privateDir(folder);
    const file = join(folder, `${record.id}.json`);
    const storedAt = relative(this.root, file) || file;
    await writeFileAtomic(file, JSON.stringify({ ...record, storedAt }, null, 2) + "\n");
    return storedAt;
  }

  async list(drill?: string, opts: { limit?: number } = {}): Promise<RunRecord[]> {
    const drills = drill ? [drill] : await names(this.dir);
    const records: RunRecord[] = [];
    for (const d of drills) {
      for (const f of (await names(join(this.dir, d))).filter((n) => n.endsWith(".json"))) {
        try {
          records.push(JSON.parse(await readFile(join(this.dir, d, f), "utf8")) as RunRecord);
        } catch {
          // A record another process is writing right now, or one damaged by hand: not ours to fail on.
        }
      }
    }
    return records.sort(newestFirst).slice(0, opts.limit ?? Infinity);
  }

  async get(id: string): Promise<RunRecord | undefined> {
    if (!/^[A-Za-z0-9_.-]+$/.test(id) || id.startsWith(".")) return undefined;
    const known = drillOfRunId(id);
    for (const d of known ? [known] : await names(this.dir)) {
      try {
        return JSON.parse(await readFile(join(this.dir, d, `${id}.json`), "utf8")) as RunRecord;
      } catch {
        // Not in this drill's folder.
      }
    }
    return undefined;
  }

  async close(): Promise<void> {}
}

async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
}
