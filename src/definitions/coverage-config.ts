import { z } from "zod";
import { duration, name, strict } from "./common.js";

/** `coverage:` in config: when a database counts as covered, and how the daemon watches it. */
export const coverageSchema = strict({
  // String defaults (not milliseconds) so editors show them as they are written.
  maxAge: duration.prefault("35d").meta({
    description:
      "a database whose newest passing drill is older than this is stale (listed as a problem, like one with no drill)",
  }),
  notify: z.array(name).optional().meta({
    description:
      "channels where the daemon announces each newly stale or uncovered database, once until it is covered again; unset: no announcement (the drill_coverage_databases metric and the log still show it)",
  }),
  every: duration.prefault("1h").meta({
    description: "how often the daemon lists the databases again and updates its coverage metric",
  }),
}).meta({
  description:
    "`drill coverage` and the daemon's coverage check: which databases have a recent passing drill",
});

export type CoverageConfig = z.output<typeof coverageSchema>;

export const DEFAULT_COVERAGE: CoverageConfig = { maxAge: 35 * 86_400_000, every: 3_600_000 };
