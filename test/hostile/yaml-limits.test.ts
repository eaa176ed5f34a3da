/**
 * What the fuzz test found in src/definitions, pinned down one by one: deep nesting, a
 * self-referencing alias, many keys (yaml's pairwise duplicate check), and keys that would
 * break the one-line-per-problem output.
 */
import { describe, expect, it } from "vitest";
import { formatProblem, printable } from "../../src/definitions/problems.js";
import { parseYaml, type YamlResult } from "../../src/definitions/yaml.js";

const lines = (r: YamlResult) => (r.ok ? [] : r.problems.map(formatProblem));
const parse = (text: string) => parseYaml(text, "drills/x.yaml", {});
const timed = (text: string) => {
  const started = performance.now();
  const out = lines(parse(text));
  return { out, ms: performance.now() - started };
};
/**
 * How much longer `big` takes than `small` (ten times smaller), best of three each: a ratio
 * measured side by side holds on a loaded machine where a wall-clock limit does not. Linear
 * work gives about 10, quadratic about 100.
 */
const growth = (small: string, big: string) => {
  const best = (text: string) => Math.min(...[0, 1, 2].map(() => timed(text).ms));
  return best(big) / Math.max(best(small), 0.05);
};
const NESTED = "nested more than 64 levels deep: refusing it (hand-written files need a handful)";

describe("parseYaml limits", () => {
  it("refuses deep flow nesting before parsing, at the first bracket too deep, fast", () => {
    const d = 400_000;
    const deep = (n: number) => `name: x\ndeep: ${"[".repeat(n)}${"]".repeat(n)}\n`;
    expect(timed(deep(d)).out).toEqual([`drills/x.yaml:2:71: ${NESTED}`]);
    // Refused at level 65, so 400,000 brackets cost no more than 40,000 (a parse would).
    expect(growth(deep(d / 10), deep(d))).toBeLessThan(4);
    // Brackets in quotes and comments do not count; 60 real levels are fine.
    expect(
      lines(
        parse(
          `a: "${"[".repeat(100)}"\n# ${"{".repeat(100)}\nb: ${"[".repeat(60)}${"]".repeat(60)}\n`,
        ),
      ),
    ).toEqual([]);
  });

  it("refuses deep block nesting", () => {
    const rows = Array.from({ length: 100 }, (_, i) => `${" ".repeat(i)}k${i}:`);
    expect(lines(parse(`${rows.join("\n")} 1\n`))).toEqual([`drills/x.yaml:65:65: ${NESTED}`]);
  });

  it("refuses an alias inside its own anchor instead of overflowing the stack", () => {
    expect(lines(parse("p: &p\n  q: *p\n"))).toEqual([
      "drills/x.yaml:2:6: an alias inside the value its anchor names never ends",
    ]);
    expect(lines(parse("s: &s [*s]\n"))).toEqual([
      "drills/x.yaml:1:8: an alias inside the value its anchor names never ends",
    ]);
    // An alias after its anchor is fine.
    expect(lines(parse("a: &a [1]\nb: *a\n"))).toEqual([]);
  });

  it("checks 50,000 keys for duplicates in linear time", () => {
    const doc = (n: number) =>
      `${Array.from({ length: n }, (_, i) => `k${i}: ${i}`).join("\n")}\nk7: again\n`;
    expect(timed(doc(50_000)).out).toEqual(["drills/x.yaml:50001:1: Map keys must be unique"]);
    expect(growth(doc(5_000), doc(50_000))).toBeLessThan(30);
  });

  it("duplicate keys are found as the data sees them, in nested and flow mappings", () => {
    expect(lines(parse('a: { 1: x, "1": y }\nb:\n  - c: 1\n    c: 2\n'))).toEqual([
      "drills/x.yaml:1:12: Map keys must be unique",
      "drills/x.yaml:4:5: Map keys must be unique",
    ]);
  });
});

describe("one problem, one line", () => {
  it("escapes newlines, terminal escapes, separators and bidi overrides", () => {
    expect(printable("a\nb\r\u001b[31m\u2028\u202e\u0000\tok é")).toBe(
      "a\\nb\\r\\u001b[31m\\u2028\\u202e\\u0000\tok é",
    );
    expect(
      formatProblem({
        file: "drills/x.yaml",
        line: 1,
        col: 1,
        path: "a",
        message: 'unknown key "a\nb"',
      }),
    ).toBe('drills/x.yaml:1:1 a: unknown key "a\\nb"');
  });
});
