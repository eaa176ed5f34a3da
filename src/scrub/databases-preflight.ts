import { formatPath, formatProblem, type PathSegment } from "../definitions/problems.js";
import { problemAt } from "../definitions/yaml.js";
import { DrillError, inputError } from "../errors.js";
import type { scrubSchema } from "../steps/scrub.js";
import type { PreflightContext } from "../steps/types.js";
import type { z } from "zod";
import { planScrub } from "./plan.js";
import { scrubberSourceOf } from "./source.js";

type Options = Pick<z.output<typeof scrubSchema>, "scrubber" | "scrubbers">;

/**
 * Before anything is restored: every database `scrubbers` names exists in production, none is
 * named twice, and each scrubber's rules fit its database's tables. Every problem at once, one
 * located line each (the drill's for databases, the scrubber's for rules), exit 2.
 */
export async function preflightDatabases(options: Options, ctx: PreflightContext): Promise<void> {
  const lines: string[] = [];
  const hints = new Set<string>();
  const drillProblem = (database: string, message: string) => {
    const path: PathSegment[] = [...ctx.step.path, "scrubbers", database];
    const src = ctx.resources.drillSource;
    lines.push(
      formatProblem(
        src?.locate
          ? problemAt({ file: src.file, locate: src.locate }, path, message, { key: true })
          : { file: src?.file ?? "", path: formatPath(path), message },
      ),
    );
  };
  /** planScrub's lines (each at the scrubber's rule) join the others instead of stopping them. */
  const check = async (name: string, database: string | undefined, against: string) => {
    const scrubber = ctx.resources.scrubbers.get(name);
    const catalog = scrubber && (await ctx.sourceCatalog(database));
    if (!scrubber || !catalog) return;
    try {
      planScrub(catalog, scrubber, scrubberSourceOf(name, ctx.resources), against);
    } catch (e) {
      if (!(e instanceof DrillError) || e.kind !== "input") throw e;
      lines.push(e.message);
      if (e.hint) hints.add(e.hint);
    }
  };

  if (options.scrubber) await check(options.scrubber, undefined, "production");
  const mapped = Object.entries(options.scrubbers ?? {});
  const databases = mapped.length > 0 ? await ctx.sourceDatabases?.() : undefined;
  for (const [database, name] of mapped) {
    if (databases && !databases.names.includes(database)) {
      drillProblem(
        database,
        `database "${database}" does not exist in production (databases: ${databases.names.join(", ") || "none"})`,
      );
    } else if (databases && options.scrubber && database === databases.own) {
      drillProblem(
        database,
        `database "${database}" is production's own, already scrubbed by \`scrubber: ${options.scrubber}\` (name each database once)`,
      );
    } else {
      await check(name, database, `production's database ${database}`);
    }
  }
  if (lines.length > 0) {
    throw inputError(
      "SCRUBBER_MISMATCH",
      lines.join("\n"),
      [...hints][0] ?? "name in `scrubbers` only databases production has",
    );
  }
}
