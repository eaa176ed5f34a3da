import type { ProbeWrite } from "./probe.js";

export interface ProbeReport {
  writesPerSecond: number;
  /** Downtime cannot be measured finer than one write interval. */
  resolutionMs: number;
  attempted: number;
  acknowledged: number;
  /** First acknowledged write after the outage − last acknowledged before it; null if none after. */
  downtimeMs: number | null;
  lastAckBefore: { id: number; at: string; node: string } | null;
  firstAckAfter: { id: number; at: string; node: string } | null;
  /** Acknowledged writes missing on the primary now: what the failover lost. */
  lostWrites: number;
  lostIds: number[];
  /** Writes cut off without an acknowledgement that turned out committed (not lost). */
  committedUnacknowledged: number;
  /** Writes cut off without an acknowledgement that never committed (the client knew). */
  failedUncommitted: number;
  /** Nodes written to, in order (host:port). */
  nodes: string[];
}

/** Pure: the report from the client's record of writes and the ids the primary holds. */
export function summarize(
  writes: ProbeWrite[],
  present: ReadonlySet<number>,
  since: number,
  writesPerSecond: number,
  nodes: string[] = [],
): ProbeReport {
  const acked = writes.filter((w) => w.ackAt !== undefined);
  const failed = writes.filter((w) => w.ackAt === undefined);
  const failedAfter = failed.filter((w) => w.sentAt >= since);
  let before: ProbeWrite | undefined;
  let after: ProbeWrite | undefined;
  if (failedAfter.length > 0) {
    const first = failedAfter[0]!.sentAt;
    const last = failedAfter.at(-1)!.sentAt;
    before = acked.filter((w) => w.ackAt! <= first).at(-1);
    after = acked.find((w) => w.sentAt > last);
  } else {
    // No write failed (a DNS flip that never broke a connection): the longest pause after `since`.
    let gap = -1;
    for (let i = 1; i < acked.length; i++) {
      const a = acked[i - 1]!;
      const b = acked[i]!;
      if (b.ackAt! >= since && b.ackAt! - a.ackAt! > gap) {
        gap = b.ackAt! - a.ackAt!;
        before = a;
        after = b;
      }
    }
  }
  const lost = acked.filter((w) => !present.has(w.id)).map((w) => w.id);
  const committedUnacked = failed.filter((w) => present.has(w.id)).length;
  const show = (w: ProbeWrite | undefined) =>
    w ? { id: w.id, at: new Date(w.ackAt!).toISOString(), node: w.node } : null;
  return {
    writesPerSecond,
    resolutionMs: Math.round(1000 / writesPerSecond),
    attempted: writes.length,
    acknowledged: acked.length,
    downtimeMs: before && after ? after.ackAt! - before.ackAt! : null,
    lastAckBefore: show(before),
    firstAckAfter: show(after),
    lostWrites: lost.length,
    lostIds: lost.slice(0, 20),
    committedUnacknowledged: committedUnacked,
    failedUncommitted: failed.length - committedUnacked,
    nodes,
  };
}
