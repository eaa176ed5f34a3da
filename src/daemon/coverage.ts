import type { CoverageConfig } from "../definitions/coverage-config.js";
import type { Project } from "../definitions/project.js";
import { notifyNotice, type NotifyOptions } from "../notify/notify.js";
import { ageText, isProblem, type CoverageEntry, type CoverageReport } from "../coverage/model.js";
import type { Logger } from "../log.js";
import { errorText } from "../redact.js";
import type { Clock } from "../types.js";
import type { DaemonMetrics } from "./metrics.js";

/** At most this many databases are named in one announcement; the rest are counted. */
const NAMED = 20;
/** How long a daemon round waits for a coverage check before going on without it. */
const WAIT_MS = 60_000;

/**
 * The daemon's coverage check: every `coverage.every`, list what the environments see, set
 * drill_coverage_databases and announce each database that newly became stale or uncovered,
 * once, until it is covered again. A listing that fails (AWS down) is logged and the gauge keeps
 * its last values.
 */
export class CoverageWatch {
  private lastAt: number | undefined;
  private readonly announced = new Set<string>();
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly o: {
      clock: Clock;
      log: Logger;
      metrics: Pick<DaemonMetrics, "coverage">;
      settings(): CoverageConfig;
      collect(): Promise<CoverageReport>;
      announce(fresh: CoverageEntry[]): Promise<void>;
      /** How long a round waits for a check (default WAIT_MS). */
      waitMs?: number;
    },
  ) {}

  /**
   * A check when one is due (the first at once) and none is under way, else nothing. Waits for
   * it at most WAIT_MS: a listing that hangs (AWS unanswering) must not hold up the daemon's
   * other chores (outbox, overdue); it goes on alone and the next is not started before it ends.
   */
  async maybeCheck(): Promise<void> {
    if (this.inFlight) return;
    const now = this.o.clock.now();
    const since = this.lastAt === undefined ? Infinity : now - this.lastAt;
    // A clock set back must not hold the check off until it catches up.
    if (since < this.o.settings().every && since >= 0) return;
    this.lastAt = now;
    const run = this.check().finally(() => (this.inFlight = undefined));
    this.inFlight = run;
    const wait = this.o.waitMs ?? WAIT_MS;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), wait);
      timer.unref();
    });
    if ((await Promise.race([run, waited])) === "late")
      this.o.log.warn(`coverage check still running after ${wait / 1000} s; going on without it`);
    clearTimeout(timer);
  }

  async check(): Promise<void> {
    let report: CoverageReport;
    try {
      report = await this.o.collect();
    } catch (e) {
      this.o.log.warn({ error: errorText(e) }, "coverage check failed; keeping the last values");
      return;
    }
    const { covered, stale, uncovered } = report.counts;
    this.o.metrics.coverage({ covered, stale, uncovered });
    const problems = report.entries.filter(isProblem);
    const now = new Set(problems.map(keyOf));
    // Covered again (or gone): announced again should it lapse later.
    for (const k of this.announced) if (!now.has(k)) this.announced.delete(k);
    const fresh = problems.filter((e) => !this.announced.has(keyOf(e)));
    if (fresh.length === 0) return;
    for (const e of fresh) this.announced.add(keyOf(e));
    // The gauge is what alerts; the log only records what changed.
    this.o.log.info(
      { databases: fresh.map((e) => e.id) },
      "databases without a recent passing drill",
    );
    await this.o
      .announce(fresh)
      .catch((e: unknown) =>
        this.o.log.error({ error: errorText(e) }, "cannot announce uncovered databases"),
      );
  }
}

const keyOf = (e: CoverageEntry) => `${e.environment}\0${e.kind}\0${e.id}`;

/** The notice's text: one line per database (the first NAMED), then how many more. */
function announcement(entries: CoverageEntry[]): string {
  const lines = entries.slice(0, NAMED).map((e) => {
    const why =
      e.state === "uncovered"
        ? "no drill restores it"
        : e.lastPass
          ? `last passing drill ${ageText(e.lastPass.ageMs)} ago (${e.lastPass.drill})`
          : `${e.drills.join(", ")} never passed`;
    return `${e.kind} ${e.id} (${e.environment}): ${why}`;
  });
  if (entries.length > NAMED) lines.push(`… and ${entries.length - NAMED} more (drill coverage)`);
  return lines.join("\n");
}

/**
 * Post newly uncovered databases to the channels `coverage.notify` names, in one notice; none
 * when it is unset (the gauge and the log still say it): a first check in a large account would
 * otherwise flood every team's channel.
 */
export async function postCoverage(
  project: Project,
  fresh: CoverageEntry[],
  opts: NotifyOptions,
): Promise<void> {
  const channels = project.config.coverage.notify ?? [];
  if (channels.length === 0) return;
  const n = fresh.length;
  const title = `🛡 ${n} database${n === 1 ? "" : "s"} without a recent passing drill`;
  await notifyNotice(
    project,
    channels,
    { drill: "coverage", title, text: announcement(fresh) },
    opts,
  );
}
