/**
 * What is wrong with the user's files, one line each, in the shape editors and CI logs link:
 * `drills/x.yaml:12:5 steps[1].scrub.scrubber: unknown scrubber "orderz" (known: orders, users)`.
 */
export interface Problem {
  /** Relative to the project root; "" when the problem is not in a file (a command argument). */
  file: string;
  line?: number;
  col?: number;
  /** Data path such as "steps[1].verify.checks[0].rowCount.min"; "" for the whole file. */
  path: string;
  message: string;
}

export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `["steps", 1, "verify"]` → `steps[1].verify`; odd keys (`shop.orders`) are bracket-quoted. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/**
 * Control characters, line and paragraph separators and bidi overrides, written as escapes: a key
 * such as "a\nb" or one holding a terminal escape must not break the one-line-per-problem
 * contract, nor repaint the user's terminal.
 */
const UNPRINTABLE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export const printable = (text: string): string =>
  text.replace(UNPRINTABLE, (c) =>
    c === "\n" ? "\\n" : c === "\r" ? "\\r" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );

export function formatProblem(problem: Problem): string {
  return printable(formatRaw(problem));
}

function formatRaw(problem: Problem): string {
  let where = problem.file;
  if (where !== "" && problem.line !== undefined) {
    where += `:${problem.line}`;
    if (problem.col !== undefined) where += `:${problem.col}`;
  }
  if (where === "")
    return problem.path === "" ? problem.message : `${problem.path}: ${problem.message}`;
  return problem.path === ""
    ? `${where}: ${problem.message}`
    : `${where} ${problem.path}: ${problem.message}`;
}

/** By file, then line and column; problems without a line come first in their file. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return [...problems].sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.col ?? 0) - (b.col ?? 0),
  );
}

export function formatProblems(problems: readonly Problem[]): string[] {
  return sortProblems(problems).map(formatProblem);
}

/** "a, b, c", or "none" so that `(known: none)` still reads as a sentence. */
export const knownList = (names: Iterable<string>): string => {
  const sorted = [...names].sort();
  return sorted.length === 0 ? "none" : sorted.join(", ");
};
