import { randomBytes } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { privateDir, writeFileAtomic } from "../private-files.js";
import { statePaths } from "../state/layout.js";
import type { RunRecord } from "../types.js";
import type { Notice } from "./payloads.js";

/**
 * A message not yet delivered to a channel. It holds what the message is about (a run record,
 * a notice), never the channel's URL: that stays in the environment and is looked up when the
 * message goes out.
 */
export interface OutboxEntry {
  id: string;
  channel: string;
  drill: string;
  about: RunRecord | Notice;
  /**
   * A time-limited link to the run's HTML report (S3 pre-signed), kept so a retry posts it too;
   * it grants reading that one report until it expires, as the posted message does.
   */
  reportUrl?: string;
  createdAt: string;
  attempts: number;
  /** Epoch ms before which nobody tries again (a retry backoff, or a sender's claim). */
  nextAttemptAt: number;
  lastError?: string;
}

/** `.drill/outbox/<id>.json`, one file per undelivered message, written atomically. */
export class Outbox {
  constructor(readonly dir: string) {}

  async add(entry: Omit<OutboxEntry, "id">): Promise<OutboxEntry> {
    const stamp = entry.createdAt.replace(/[-:.]/g, "");
    const id = `${stamp}-${entry.drill}-${entry.channel}-${randomBytes(3).toString("hex")}`;
    const full = { id, ...entry };
    await this.put(full);
    return full;
  }

  async put(entry: OutboxEntry): Promise<void> {
    await privateDir(this.dir);
    await writeFileAtomic(join(this.dir, `${entry.id}.json`), JSON.stringify(entry, null, 2));
  }

  async remove(id: string): Promise<void> {
    await rm(join(this.dir, `${id}.json`), { force: true });
  }

  /** Every entry, oldest first; unreadable files are skipped (being written, or damaged). */
  async list(): Promise<OutboxEntry[]> {
    let files: string[];
    try {
      files = (await readdir(this.dir)).filter((f) => f.endsWith(".json")).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
    const out: OutboxEntry[] = [];
    for (const f of files) {
      try {
        out.push(JSON.parse(await readFile(join(this.dir, f), "utf8")) as OutboxEntry);
      } catch {
        // Skipped; a damaged entry is left for a person to look at.
      }
    }
    return out;
  }
}

export const outboxFor = (root: string) => new Outbox(statePaths(root).outbox);
