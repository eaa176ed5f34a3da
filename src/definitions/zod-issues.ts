import type { z } from "zod";
import { redact } from "./interpolate.js";
import { formatPath, type PathSegment, type Problem } from "./problems.js";
import { problemAt, type YamlSource } from "./yaml.js";

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

const MISSING = "\u0000missing";

const typeName = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? "list" : typeof v === "object" ? "mapping" : typeof v;

const EXPECTED: Record<string, string> = {
  object: "mapping",
  array: "list",
  record: "mapping",
  int: "whole number",
};

/**
 * Plain messages for zod's defaults, passed to `safeParse`; messages a schema sets itself win.
 * The input is only ever described by its type: the value may be a secret from `${ENV}`.
 */
export function plainMessage(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type": {
      if (issue.input === undefined) return MISSING;
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      if (issue.expected === "int" && typeof issue.input === "number")
        return "expected a whole number";
      return `expected ${expected}, got ${typeName(issue.input)}`;
    }
    case "too_small": {
      const n = Number(issue.minimum);
      if (issue.origin === "string")
        return n <= 1 ? "must not be empty" : `must be at least ${n} characters`;
      if (issue.origin === "array" || issue.origin === "set")
        return `needs at least ${n} item${n === 1 ? "" : "s"}`;
      return issue.inclusive === false ? `must be greater than ${n}` : `must be at least ${n}`;
    }
    case "too_big": {
      const n = Number(issue.maximum);
      if (issue.origin === "string") return `must be at most ${n} characters`;
      if (issue.origin === "array" || issue.origin === "set")
        return `allows at most ${n} item${n === 1 ? "" : "s"}`;
      return issue.inclusive === false ? `must be less than ${n}` : `must be at most ${n}`;
    }
    case "invalid_format":
      if (issue.format === "url") return "expected a URL";
      if (issue.format === "datetime")
        return "expected an ISO 8601 time such as 2026-11-27T00:00:00Z";
      if (issue.format === "regex")
        return `does not match the pattern ${issue.pattern ?? ""}`.trim();
      return `expected a valid ${issue.format}`;
    case "invalid_value":
      return issue.values.length === 1
        ? `expected ${JSON.stringify(issue.values[0])}`
        : `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "not_multiple_of":
      return `must be a multiple of ${issue.divisor}`;
    case "unrecognized_keys":
      return `unknown key ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`;
    case "invalid_union":
      return "matches none of the allowed forms";
    case "invalid_key":
      return "invalid key";
    default:
      return undefined;
  }
}

interface Leaf {
  path: PathSegment[];
  issue: Issue;
}

const toSegments = (path: readonly PropertyKey[]): PathSegment[] =>
  path.map((s) => (typeof s === "number" ? s : String(s)));

/**
 * A union reports every branch's issues. Show the branch the user evidently meant: the one with
 * the fewest issues, where a branch whose very type differs (a string for a mapping) never wins.
 * When no branch clearly wins, the union's own message stands.
 */
function resolveIssue(issue: Issue, prefix: PathSegment[]): { leaves: Leaf[]; score: number } {
  const path = [...prefix, ...toSegments(issue.path)];
  if (issue.code !== "invalid_union" || issue.errors.length === 0)
    return { leaves: [{ path, issue }], score: 1 };
  const branches = issue.errors.map((branch) => {
    let score = 0;
    const leaves: Leaf[] = [];
    for (const inner of branch) {
      const r = resolveIssue(inner, path);
      leaves.push(...r.leaves);
      const atRoot = inner.path.length === 0;
      score +=
        atRoot && (inner.code === "invalid_type" || inner.code === "invalid_value")
          ? Infinity
          : r.score;
    }
    return { leaves, score };
  });
  const best = Math.min(...branches.map((b) => b.score));
  const winners = branches.filter((b) => b.score === best);
  if (best !== Infinity && winners.length === 1) return winners[0]!;
  return { leaves: [{ path, issue }], score: best };
}

/** zod issues as problems located in the YAML source, with secrets kept out of messages. */
export function issuesToProblems(issues: readonly Issue[], source: YamlSource): Problem[] {
  const problems: Problem[] = [];
  const leaves = issues.flatMap((top) => resolveIssue(top, []).leaves);
  // A refinement of a mapping with an unknown key only repeats it ("unknown step kind "restor""
  // then "expected exactly one step kind, found none"): the unknown key says it all.
  const unknownAt = new Set(
    leaves.filter((l) => l.issue.code === "unrecognized_keys").map((l) => formatPath(l.path)),
  );
  for (const { path, issue } of leaves) {
    if (issue.code === "custom" && unknownAt.has(formatPath(path))) continue;
    {
      let problem: Problem;
      if (issue.message === MISSING) {
        const parent = path.slice(0, -1);
        problem = problemAt(
          source,
          parent,
          `missing required key ${JSON.stringify(String(path.at(-1)))}`,
        );
      } else if (issue.code === "unrecognized_keys") {
        problem = {
          // The path names the (first) unknown key itself: that is the line to fix.
          ...problemAt(source, [...path, issue.keys[0] ?? ""], issue.message, { key: true }),
          path: formatPath([...path, issue.keys[0] ?? ""]),
        };
      } else if (issue.code === "invalid_key") {
        const why = issue.issues.map((i) => i.message).join("; ");
        problem = problemAt(
          source,
          path,
          `invalid name ${JSON.stringify(String(path.at(-1)))}: ${why}`,
          { key: true },
        );
      } else {
        problem = problemAt(source, path, issue.message);
      }
      problems.push({ ...problem, message: redact(problem.message, source.secrets) });
    }
  }
  return problems;
}

/** Parse `source.data` with `schema`: the value, or problems located in the file. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  source: YamlSource,
): { ok: true; value: z.output<S> } | { ok: false; problems: Problem[] } {
  const result = schema.safeParse(source.data, { error: plainMessage });
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, problems: issuesToProblems(result.error.issues, source) };
}
