import type { Gauge, Registry } from "prom-client";
import type { CoverageState } from "../coverage/model.js";
import type { Clock, Outcome, RunRecord } from "../types.js";

const OUTCOMES: Outcome[] = ["passed", "failed", "error", "interrupted", "skipped"];
const PHASES = ["restore", "scrub", "verify"] as const;

export interface DaemonMetrics {
  readonly contentType: string;
  text(): Promise<string>;
  /** A finished run (also past runs read from history at start, with `count: false`). */
  observe(record: RunRecord, opts?: { count?: boolean; success?: RunRecord }): void;
  skipped(drill: string, reason: string): void;
  overdue(drill: string, overdue: boolean): void;
  nextRun(drill: string, at: number | null): void;
  forget(drill: string): void;
  setRunning(n: number): void;
  setOutboxPending(n: number): void;
  /** Databases the environments see, by coverage state (`drill coverage`'s counts). */
  coverage(counts: Record<CoverageState, number>): void;
}

/**
 * The daemon's Prometheus metrics, in a registry of its own (prom-client is loaded only by the
 * daemon). Times are seconds, as Prometheus prefers.
 */
export async function createMetrics(clock: Clock, startedAt: number): Promise<DaemonMetrics> {
  const prom = await import("prom-client");
  const registry: Registry = new prom.Registry();
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new prom.Gauge({ name, help, labelNames, registers: [registry] });
  const counter = (name: string, help: string, labelNames: string[]) =>
    new prom.Counter({ name, help, labelNames, registers: [registry] });

  new prom.Gauge({
    name: "drill_daemon_uptime_seconds",
    help: "Seconds since the daemon started",
    registers: [registry],
    collect() {
      this.set((clock.now() - startedAt) / 1000);
    },
  });
  const running = gauge("drill_daemon_running_drills", "Drills running now");
  const outbox = gauge("drill_outbox_pending", "Channel messages not yet delivered");
  const coverage = gauge(
    "drill_coverage_databases",
    "Databases the environments see: covered (a recent passing drill), stale (none within coverage.maxAge) or uncovered (no drill)",
    ["state"],
  );
  const perDrill: Gauge[] = [];
  const g = (name: string, help: string, extra: string[] = []) => {
    const made = gauge(name, help, ["drill", ...extra]);
    if (extra.length === 0) perDrill.push(made);
    return made;
  };
  const lastRun = g("drill_last_run_timestamp_seconds", "When the last run finished");
  const lastSuccess = g(
    "drill_last_success_timestamp_seconds",
    "When the last passed run finished",
  );
  const lastOutcome = g("drill_last_outcome", "1 for the last run's outcome, 0 for the others", [
    "outcome",
  ]);
  const rto = g("drill_rto_seconds", "Measured RTO of the last run");
  const rtoObjective = g("drill_rto_objective_seconds", "The drill's RTO objective");
  const rpo = g("drill_rpo_seconds", "Measured RPO of the last run");
  const phase = g("drill_phase_duration_seconds", "Time per recovery phase in the last run", [
    "phase",
  ]);
  const downtime = g(
    "drill_failover_downtime_seconds",
    "Failover downtime measured in the last run",
  );
  const lost = g("drill_failover_lost_writes", "Acknowledged writes lost in the last failover");
  const leaks = g("drill_leak_findings", "Leak scan findings of the last scrub");
  const forecastWeeks = g(
    "drill_rto_forecast_weeks",
    "Weeks until the RTO objective is crossed at the restored database's growth (absent: no crossing foreseen)",
  );
  const overdue = g("drill_overdue", "1 when the last success is older than the schedule allows");
  const next = g("drill_next_run_timestamp_seconds", "When the drill is next due");
  const runs = counter("drill_runs_total", "Runs the daemon finished", ["drill", "outcome"]);
  const skips = counter("drill_runs_skipped_total", "Due runs not started", ["drill", "reason"]);

  const seconds = (ms: number | null | undefined) =>
    typeof ms === "number" ? ms / 1000 : undefined;
  const setIf = (m: Gauge, labels: Record<string, string>, v: number | undefined) => {
    if (v === undefined) m.remove(labels);
    else m.set(labels, v);
  };

  return {
    contentType: registry.contentType,
    text: () => registry.metrics(),
    observe(record, opts = {}) {
      const drill = record.drill;
      const l = { drill };
      lastRun.set(l, Date.parse(record.finishedAt) / 1000);
      const success = record.outcome === "passed" ? record : opts.success;
      if (success) lastSuccess.set(l, Date.parse(success.finishedAt) / 1000);
      for (const o of OUTCOMES)
        lastOutcome.set({ drill, outcome: o }, o === record.outcome ? 1 : 0);
      const m = record.measurements;
      setIf(rto, l, seconds(m.rtoMs?.value));
      setIf(rtoObjective, l, seconds(m.rtoMs?.objective));
      setIf(rpo, l, seconds(m.rpoMs?.value));
      for (const p of PHASES) setIf(phase, { drill, phase: p }, seconds(m[`${p}Ms`]?.value));
      setIf(downtime, l, seconds(m.downtimeMs?.value));
      setIf(lost, l, m.lostWrites?.value ?? undefined);
      setIf(leaks, l, leakFindings(record));
      setIf(forecastWeeks, l, record.forecast?.weeksToCrossing);
      if (opts.count !== false) runs.inc({ drill, outcome: record.outcome });
    },
    skipped: (drill, reason) => skips.inc({ drill, reason }),
    overdue: (drill, is) => overdue.set({ drill }, is ? 1 : 0),
    nextRun: (drill, at) => setIf(next, { drill }, at === null ? undefined : at / 1000),
    forget(drill) {
      for (const m of perDrill) m.remove({ drill });
      for (const o of OUTCOMES) lastOutcome.remove({ drill, outcome: o });
      for (const p of PHASES) phase.remove({ drill, phase: p });
    },
    setRunning: (n) => running.set(n),
    setOutboxPending: (n) => outbox.set(n),
    coverage(counts) {
      for (const [state, n] of Object.entries(counts)) coverage.set({ state }, n);
    },
  };
}

/** Leak findings of the scrub step's scan, or a `leakFindings` measurement; undefined when none ran. */
function leakFindings(record: RunRecord): number | undefined {
  const measured = record.measurements.leakFindings?.value;
  if (typeof measured === "number") return measured;
  const scrub = record.steps.find((s) => s.kind === "scrub" && s.outcome !== "skipped");
  const scan = scrub?.details.leakScan as { findings?: unknown[] } | undefined;
  return scan && Array.isArray(scan.findings) ? scan.findings.length : undefined;
}
