import { randomBytes } from "node:crypto";
import { quoteTable, withSession } from "../db.js";
import { platformError } from "../errors.js";
import { formatDuration } from "../duration.js";
import type { FailoverMode, FailoverPair } from "../providers/types.js";
import type { ConnectionInfo } from "../types.js";
import { probeTableSql, WriteProbe, type ProbeReport } from "./probe.js";
import { dropStaleProbes, PROBE_PREFIX, probeComment } from "./stale-probes.js";
import { sleep } from "../sleep.js";

export interface FailoverSettings {
  mode: FailoverMode;
  writesPerSecond: number;
  maxDowntimeMs?: number;
  lostWrites?: number;
  /** Writes must flow this long on the new primary before the probe stops (default 2 s). */
  steadyMs?: number;
  /** Writes before the failover, so there is a "before" (default 1 s). */
  warmupMs?: number;
  /** A leftover probe table matters on production; on a copy cleanup deletes anyway. */
  production?: boolean;
}

export interface FailoverIo {
  signal: AbortSignal;
  progress(message: string): void;
  defer(label: string, fn: () => Promise<void>): void;
  /** Called right before the failover (tests cut replication here). */
  beforeTrigger?: () => Promise<void>;
}

export interface FailoverOutcome {
  outcome: "passed" | "failed";
  details: Record<string, unknown>;
  findings: string[];
  report: ProbeReport;
  promoteMs: number;
}

/**
 * Fail the pair over under a write probe and judge what clients saw: downtime (last
 * acknowledged write before → first after) and acknowledged writes the new primary lacks.
 * Then drop the probe table and repair the pair.
 */
export async function failoverUnderProbe(
  pair: FailoverPair,
  settings: FailoverSettings,
  io: FailoverIo,
): Promise<FailoverOutcome> {
  const table = `${PROBE_PREFIX}${randomBytes(4).toString("hex")}`;
  const staleProbesDropped = await withSession(
    pair.primary(),
    async (db) => {
      const stale = await dropStaleProbes(db, Date.now());
      await db.query(probeTableSql(table));
      await db.query(probeComment(table, Date.now()));
      return stale;
    },
    { signal: io.signal },
  );
  if (staleProbesDropped.length > 0)
    io.progress(`dropped ${staleProbesDropped.length} probe table(s) a killed run left`);
  io.defer(`probe table ${table}`, () =>
    dropTable(pair.primary(), table).catch((e: unknown) => {
      if (settings.production) throw e;
    }),
  );

  const probe = new WriteProbe({
    nodes: () => pair.nodes(),
    writesPerSecond: settings.writesPerSecond,
    table,
  });
  const stopProbe = () => void probe.stop();
  io.signal.addEventListener("abort", stopProbe, { once: true });
  let report: ProbeReport;
  let result: Awaited<ReturnType<FailoverPair["failover"]>>;
  let replication: Awaited<ReturnType<FailoverPair["replication"]>>;
  let steady: boolean;
  const resumeTimeoutMs = Math.max(60_000, 2 * (settings.maxDowntimeMs ?? 0));
  try {
    probe.start();
    io.progress(`probe writing ${settings.writesPerSecond}/s`);
    await warmUp(probe, settings, io.signal);
    await io.beforeTrigger?.();
    replication = await pair.replication();
    result = await pair.failover(settings.mode);
    io.progress(`promoted in ${formatDuration(result.promoteMs)}; waiting for steady writes`);
    steady = await probe.waitUntilSteady(
      result.completedAt,
      settings.steadyMs ?? 2000,
      resumeTimeoutMs,
    );
    await probe.stop();
    report = await probe.report(pair.primary(), result.triggeredAt);
  } finally {
    io.signal.removeEventListener("abort", stopProbe);
    await probe.stop();
  }
  await dropTable(pair.primary(), table);
  const repair = await pair.repair();

  const findings: string[] = [];
  if (!steady)
    findings.push(`writes did not resume steadily within ${formatDuration(resumeTimeoutMs)}`);
  if (settings.lostWrites !== undefined && report.lostWrites > settings.lostWrites) {
    findings.push(
      `${report.lostWrites} acknowledged writes lost (ids ${report.lostIds.join(", ")}${report.lostWrites > report.lostIds.length ? ", …" : ""}), expected at most ${settings.lostWrites}`,
    );
  }
  if (
    settings.maxDowntimeMs !== undefined &&
    report.downtimeMs !== null &&
    report.downtimeMs > settings.maxDowntimeMs
  ) {
    findings.push(
      `downtime ${formatDuration(report.downtimeMs)} exceeds maxDowntime ${formatDuration(settings.maxDowntimeMs)} (resolution ${report.resolutionMs}ms)`,
    );
  }
  return {
    outcome: findings.length > 0 ? "failed" : "passed",
    findings,
    report,
    promoteMs: result.promoteMs,
    details: {
      pair: pair.description,
      mode: settings.mode,
      standby: pair.details,
      replicationBefore: replication,
      promoteMs: result.promoteMs,
      failoverMs: result.completedAt - result.triggeredAt,
      failover: result.details,
      probe: report,
      repair,
      ...(staleProbesDropped.length > 0 ? { staleProbesDropped } : {}),
    },
  };
}

/** Enough acknowledged writes that "the last write before" means something. */
async function warmUp(probe: WriteProbe, settings: FailoverSettings, signal: AbortSignal) {
  const want = Math.max(
    3,
    Math.ceil((settings.writesPerSecond * (settings.warmupMs ?? 1000)) / 1000),
  );
  const deadline = Date.now() + 30_000;
  while (probe.acked.length < want) {
    signal.throwIfAborted();
    if (Date.now() > deadline)
      throw platformError(
        "PROBE_CANNOT_WRITE",
        `the write probe got ${probe.acked.length} of ${want} writes acknowledged in 30s before the failover`,
      );
    await sleep(20);
  }
}

async function dropTable(conn: ConnectionInfo, table: string): Promise<void> {
  await withSession(conn, (db) => db.query(`drop table if exists ${quoteTable(table)}`));
}
