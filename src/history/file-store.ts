import { readdir, readFile, rm } from "node:fs/promises";
import { join, relative } from "node:path";
import { canonicalRecord } from "../evidence/canonical.js";
import { privateDir, writeFileAtomic } from "../private-files.js";
import type { RunRecord } from "../types.js";
import { drillOfRunId } from "../run-id.js";
import { newestFirst, type HistoryStore, type StoredEvidence } from "./store.js";

const RECORD = ".json";
const ENVELOPE = ".intoto.jsonl";

/**
 * One file per run under `<dir>/<drill>/<run id>.json`, holding the record's canonical bytes
 * (so `sha256sum` gives its digest), and its signed envelope beside it as `<run id>.intoto.jsonl`;
 * both written atomically (temp + rename).
 */
export class FileHistoryStore implements HistoryStore {
  readonly kind = "file";

  constructor(
    private readonly dir: string,
    private readonly root: string,
  ) {}

  async save(record: RunRecord, envelope?: string): Promise<string> {
    const folder = join(this.dir, record.drill);
    await privateDir(folder);
    const file = join(folder, `${record.id}${RECORD}`);
    await writeFileAtomic(file, canonicalRecord(record));
    const beside = join(folder, `${record.id}${ENVELOPE}`);
    // A record saved again unsigned must not keep the envelope of the one it replaces.
    if (envelope === undefined) await rm(beside, { force: true });
    else await writeFileAtomic(beside, `${envelope}\n`);
    return this.storedAt(file);
  }

  async list(drill?: string, opts: { limit?: number } = {}): Promise<RunRecord[]> {
    const drills = drill ? [drill] : await names(this.dir);
    const records: RunRecord[] = [];
    for (const d of drills) {
      for (const f of (await names(join(this.dir, d))).filter((n) => n.endsWith(RECORD))) {
        const record = await this.read(join(this.dir, d, f));
        if (record) records.push(record);
      }
    }
    return records.sort(newestFirst).slice(0, opts.limit ?? Infinity);
  }

  async get(id: string): Promise<RunRecord | undefined> {
    if (!/^[A-Za-z0-9_.-]+$/.test(id) || id.startsWith(".")) return undefined;
    const known = drillOfRunId(id);
    for (const d of known ? [known] : await names(this.dir)) {
      const record = await this.read(join(this.dir, d, `${id}${RECORD}`));
      if (record) return record;
    }
    return undefined;
  }

  async evidence(drill?: string): Promise<StoredEvidence[]> {
    const out: StoredEvidence[] = [];
    for (const d of drill ? [drill] : await names(this.dir)) {
      const files = await names(join(this.dir, d));
      const ids = new Set(
        files.flatMap((f) =>
          f.endsWith(ENVELOPE)
            ? [f.slice(0, -ENVELOPE.length)]
            : f.endsWith(RECORD)
              ? [f.slice(0, -RECORD.length)]
              : [],
        ),
      );
      for (const id of ids) {
        const file = join(this.dir, d, `${id}${RECORD}`);
        const bytes = await text(file);
        const envelope = await text(join(this.dir, d, `${id}${ENVELOPE}`));
        out.push({
          id,
          drill: d,
          storedAt: this.storedAt(file),
          ...(bytes !== undefined ? { bytes } : {}),
          ...(envelope !== undefined ? { envelope } : {}),
        });
      }
    }
    return out;
  }

  async close(): Promise<void> {}

  private storedAt(file: string) {
    return relative(this.root, file) || file;
  }

  private async read(file: string): Promise<RunRecord | undefined> {
    try {
      const record = JSON.parse(await readFile(file, "utf8")) as RunRecord;
      return { ...record, storedAt: this.storedAt(file) };
    } catch {
      // Not there, being written by another process right now, or damaged by hand: not ours to
      // fail on (`drill verify-evidence` reports damage).
      return undefined;
    }
  }
}

async function text(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
}
