import { promises as fs } from "node:fs";
import { LocalProvider } from "../src/providers/local/provider.js";
import { clusterHome } from "../src/providers/local/home.js";
import type { RecoveryTarget, RestoredCopy } from "../src/providers/types.js";
import { clusterLayout } from "../src/state/layout.js";
import { redoFromLog, type Target, type Timings } from "./pitr-bare.js";

/**
 * drill's side: the same backup through LocalProvider.planRestore/restore, the path a drill's
 * restore step takes (lay down, sanitise, replay via restore_command, promote, then hand the copy
 * to its working role). Timed from restore() to its return; the progress lines give the phases.
 */
export interface DrillTimings extends Timings {
  planMs: number;
  /** restore() until the hand-over began (what the bare tools do), and the hand-over itself. */
  handOverMs: number;
  phases: { at: number; message: string }[];
  details: Record<string, unknown>;
}

/** The progress line that starts the hand-over (restore-snapshot.ts and recover.ts say so). */
const HAND_OVER = /handing the copy/;

/** What drill restores from: the tar + folder, or the pgBackRest stanza (as a drill file says). */
export type DrillFrom =
  | { kind: "basebackup"; base: string; wal: string }
  | { kind: "pgbackrest"; stanza: string; config: { file: string }; set: string };

export async function drillRestore(o: {
  root: string;
  from: DrillFrom;
  target: Target;
  runId: string;
}): Promise<DrillTimings> {
  const provider = new LocalProvider({
    root: o.root,
    environment: { provider: "local", postgres: "embedded", scale: 1, backupInterval: 86_400_000 },
  });
  const target: RecoveryTarget =
    o.target === "latest" ? { kind: "latest" } : { kind: "time", time: o.target.time };
  const signal = new AbortController().signal;
  const p0 = performance.now();
  const plan = await provider.planRestore({
    ...o.from,
    superuser: "postgres",
    database: "postgres",
    target,
  });
  const planMs = performance.now() - p0;
  const phases: DrillTimings["phases"] = [];
  const disposers: (() => Promise<void>)[] = [];
  let copy: RestoredCopy | undefined;
  const logFile = clusterLayout(clusterHome(o.root)).run(o.runId).logFile;
  const t0 = performance.now();
  const wall0 = Date.now();
  try {
    copy = await provider.restore(plan, {
      runId: o.runId,
      signal,
      progress: (message) => phases.push({ at: performance.now() - t0, message }),
      onCreated: (dispose) => disposers.push(dispose),
    });
    const totalMs = performance.now() - t0;
    const handAt = phases.find((p) => HAND_OVER.test(p.message))?.at ?? totalMs;
    // Laying down ends where PostgreSQL is first started (the first line naming a port).
    const startAt = phases.find((p) => /port \d+/.test(p.message))?.at ?? 0;
    return {
      planMs,
      layDownMs: startAt,
      replayMs: handAt - startAt,
      totalMs: handAt,
      promotedAt: wall0 + handAt,
      handOverMs: totalMs - handAt,
      redo: await redoFromLog(logFile),
      phases,
      details: copy.details,
    };
  } finally {
    await copy?.dispose();
    for (const d of disposers) await d();
    await provider.release();
    await fs.rm(clusterLayout(clusterHome(o.root)).run(o.runId).dir, {
      recursive: true,
      force: true,
    });
  }
}
