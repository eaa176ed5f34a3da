import type { Config } from "./config.js";
import type { Drill } from "./drill.js";
import { redact } from "./interpolate.js";
import { knownList, type PathSegment, type Problem } from "./problems.js";
import { problemAt, type YamlSource } from "./yaml.js";

export interface CrossCheckContext {
  /** Undefined when config itself has problems: names are then not checked against it. */
  config: Config | undefined;
  /** Scrubber names: the stems of the files in scrubbers/ (a broken one still exists). */
  scrubbers: ReadonlySet<string>;
}

/** Names become file names and lookup keys elsewhere: never let one walk out of its folder. */
export const isPlainName = (s: string): boolean =>
  !/[\\/]/.test(s) && !s.includes("..") && s.trim() !== "";

/**
 * Rules one file cannot check alone: names a drill uses must exist in config and scrubbers/.
 * Steps are read generically, so a step kind added later (scrub) is checked as soon as it parses.
 * Extend here when a new step refers to something defined in another file.
 */
export function crossCheck(drill: Drill, source: YamlSource, ctx: CrossCheckContext): Problem[] {
  const problems: Problem[] = [];
  // A value that came from `${VAR}` is shown as written, never as its (secret) value.
  const shown = (path: PathSegment[], value: string) =>
    JSON.stringify(source.written(path) ?? value);
  const report = (path: PathSegment[], message: string) =>
    problems.push(problemAt(source, path, redact(message, source.secrets)));

  const config = ctx.config;
  if (config && !Object.hasOwn(config.environments, drill.environment)) {
    const known = knownList(Object.keys(config.environments));
    report(
      ["environment"],
      `unknown environment ${shown(["environment"], drill.environment)} (known: ${known})`,
    );
  }
  drill.notify.forEach((channel, i) => {
    if (config && !Object.hasOwn(config.channels, channel)) {
      const known = knownList(Object.keys(config.channels));
      report(["notify", i], `unknown channel ${shown(["notify", i], channel)} (known: ${known})`);
    }
  });

  const checkScrubber = (path: PathSegment[], scrubber: unknown) => {
    if (typeof scrubber !== "string") return;
    if (!isPlainName(scrubber)) {
      report(path, `a scrubber name is a file name in scrubbers/, without "/", "\\" or ".."`);
    } else if (!ctx.scrubbers.has(scrubber)) {
      report(
        path,
        `unknown scrubber ${shown(path, scrubber)} (known: ${knownList(ctx.scrubbers)})`,
      );
    }
  };
  drill.steps.forEach((step, i) => {
    const scrub = (step as Record<string, unknown>).scrub;
    if (typeof scrub !== "object" || scrub === null) return;
    const { scrubber, scrubbers } = scrub as { scrubber?: unknown; scrubbers?: unknown };
    checkScrubber(["steps", i, "scrub", "scrubber"], scrubber);
    const perDatabase = typeof scrubbers === "object" && scrubbers !== null ? scrubbers : {};
    for (const [database, name] of Object.entries(perDatabase))
      checkScrubber(["steps", i, "scrub", "scrubbers", database], name);
    if (scrubber === undefined && Object.keys(perDatabase).length === 0)
      report(
        ["steps", i, "scrub"],
        "a scrub step needs `scrubber` (the copy's own database), `scrubbers` (by database), or both",
      );
  });
  return problems;
}
