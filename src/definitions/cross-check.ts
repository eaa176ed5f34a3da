import { checkKinds } from "../checks/registry.js";
import type { Config } from "./config.js";
import { kindsOf } from "./one-of.js";
import type { ResolvedDrill } from "./steps.js";
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
 * Steps are read through what their kinds declare (the scrubbers they name), so a step kind
 * naming a scrubber is checked as soon as it declares it.
 */
export function crossCheck(
  { drill, steps }: ResolvedDrill,
  source: YamlSource,
  ctx: CrossCheckContext,
): Problem[] {
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

  const checkScrubber = (path: PathSegment[], scrubber: string) => {
    if (!isPlainName(scrubber)) {
      report(path, `a scrubber name is a file name in scrubbers/, without "/", "\\" or ".."`);
    } else if (!ctx.scrubbers.has(scrubber)) {
      report(
        path,
        `unknown scrubber ${shown(path, scrubber)} (known: ${knownList(ctx.scrubbers)})`,
      );
    }
  };
  for (const use of steps.flatMap((s) => s.scrubbers)) checkScrubber(use.path, use.name);

  // A secret written literally would sit in the repository and in every clone of it.
  for (const step of steps) {
    if (step.kind !== "verify") continue;
    kindsOf(step.options.checks).forEach(([kind, options], i) => {
      for (const field of checkKinds[kind]?.secretFields ?? []) {
        const path = [...step.path, "checks", i, kind, field];
        if ((options as Record<string, unknown>)[field] !== undefined && !source.written(path)) {
          report(path, `${field} must be a \${VAR} reference, the token is a secret`);
        }
      }
    });
  }
  return problems;
}

/** `coverage.notify` names channels, as a drill's notify does: each must exist in config. */
export function coverageProblems(config: Config, source: YamlSource): Problem[] {
  return (config.coverage.notify ?? []).flatMap((channel, i) => {
    if (Object.hasOwn(config.channels, channel)) return [];
    const path = ["coverage", "notify", i];
    const shown = JSON.stringify(source.written(path) ?? channel);
    const known = knownList(Object.keys(config.channels));
    return [problemAt(source, path, `unknown channel ${shown} (known: ${known})`)];
  });
}
