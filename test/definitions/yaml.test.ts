import { describe, expect, it } from "vitest";
import { interpolate } from "../../src/definitions/interpolate.js";
import { formatProblem, formatPath } from "../../src/definitions/problems.js";
import { parseYaml, type YamlResult } from "../../src/definitions/yaml.js";

const lines = (r: YamlResult) => (r.ok ? [] : r.problems.map(formatProblem));
const parse = (text: string | Uint8Array, env: Record<string, string> = {}) =>
  parseYaml(text, "drills/x.yaml", env);

describe("parseYaml", () => {
  it("reports a syntax error at its own line and column", () => {
    expect(lines(parse("name: x\nsteps: [1, 2\nnotify: []\n"))).toEqual([
      "drills/x.yaml:3:1: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ]);
  });

  it("reports duplicate keys and several documents", () => {
    expect(lines(parse("a: 1\na: 2\n"))).toEqual(["drills/x.yaml:2:1: Map keys must be unique"]);
    expect(lines(parse("a: 1\n---\nb: 2\n"))).toEqual([
      'drills/x.yaml:2:1: a file holds one document: remove the second "---"',
    ]);
  });

  it("refuses empty files and top levels that are not mappings", () => {
    expect(lines(parse(""))).toEqual(["drills/x.yaml: file is empty"]);
    expect(lines(parse("# only a comment\n\n"))).toEqual(["drills/x.yaml: file is empty"]);
    expect(lines(parse("- a\n- b\n"))).toEqual([
      'drills/x.yaml:1:1: expected "key: value" lines at the top level, got a list',
    ]);
    expect(lines(parse("just text\n"))).toEqual([
      'drills/x.yaml:1:1: expected "key: value" lines at the top level, got a single value',
    ]);
  });

  it("refuses an alias bomb without expanding it", () => {
    const rows = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      rows.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(",")}]`);
    }
    const started = Date.now();
    expect(lines(parse(`${rows.join("\n")}\n`))).toEqual([
      "drills/x.yaml: too many aliases (more than 100 expansions): refusing a possible alias bomb",
    ]);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("reports invalid UTF-8 with its line instead of crashing", () => {
    const bytes = Buffer.concat([
      Buffer.from("name: x\nenvironment: caf"),
      Buffer.from([0xc3, 0x28]),
      Buffer.from("\n"),
    ]);
    expect(lines(parse(bytes))).toEqual(["drills/x.yaml:2:1: file is not valid UTF-8 text"]);
  });

  it("refuses content over 1 MiB", () => {
    const big = new Uint8Array(1024 * 1024 + 1).fill(0x61);
    expect(lines(parse(big))).toEqual(["drills/x.yaml: file is larger than 1 MiB (1048577 bytes)"]);
  });

  it("locates values, keys, and missing keys by their closest parent", () => {
    const r = parse(
      "name: x\nsteps:\n  - restore:\n      from: { snapshot: latest }\n  - verify: { checks: [] }\n",
    );
    if (!r.ok) throw new Error("expected ok");
    expect(r.source.locate(["steps", 0, "restore", "from", "snapshot"])).toEqual({
      line: 4,
      col: 25,
    });
    expect(r.source.locate(["steps", 1, "verify"], { key: true })).toEqual({ line: 5, col: 5 });
    expect(r.source.locate(["steps", 1, "verify", "checks", 0, "rowCount"])).toEqual({
      line: 5,
      col: 23,
    });
    expect(r.source.locate(["objectives", "rto"])).toEqual({ line: 1, col: 1 });
  });

  it("locates values reached through an alias at the alias", () => {
    const r = parse("base: &b { snapshot: latest }\nfrom: *b\n");
    if (!r.ok) throw new Error("expected ok");
    expect(r.source.data).toEqual({ base: { snapshot: "latest" }, from: { snapshot: "latest" } });
    expect(r.source.locate(["from", "snapshot"])).toEqual({ line: 1, col: 22 });
    expect(r.source.locate(["from"])).toEqual({ line: 2, col: 7 });
  });
});

describe("${ENV} interpolation", () => {
  it("substitutes variables, keeps $${ literal, and remembers what was written", () => {
    const r = parse('url: "https://${HOST}/x"\nliteral: "$${HOST}"\nboth: a-$${B}-${HOST}\n', {
      HOST: "example.org",
    });
    if (!r.ok) throw new Error("expected ok");
    expect(r.source.data).toEqual({
      url: "https://example.org/x",
      literal: "${HOST}",
      both: "a-${B}-example.org",
    });
    expect(r.source.written(["url"])).toBe("https://${HOST}/x");
    expect(r.source.written(["literal"])).toBeUndefined();
    expect(r.source.secrets).toEqual(["example.org", "example.org"]);
  });

  it("reports missing, empty and malformed references at the scalar, never a value", () => {
    const env = { EMPTY: "", OTHER: "s3cr3t-value" };
    expect(
      lines(
        parse(
          'a:\n  b: "${MISSING}"\n  c: x${EMPTY}\n  d: ${OTHER}${bad-name}\n  e: "${OPEN"\n',
          env,
        ),
      ),
    ).toEqual([
      "drills/x.yaml:2:6 a.b: environment variable MISSING is not set",
      "drills/x.yaml:3:6 a.c: environment variable EMPTY is set but empty",
      'drills/x.yaml:4:6 a.d: invalid environment variable name "bad-name" in "${…}" (letters, digits and _)',
      'drills/x.yaml:5:6 a.e: unclosed "${" (write "$${" for a literal "${")',
    ]);
  });

  it("does not interpolate keys or non-strings", () => {
    expect(interpolate("plain", {})).toEqual({
      value: "plain",
      substituted: false,
      secrets: [],
      problems: [],
    });
    const r = parse("${K}: 1\nn: 5\n", { K: "v" });
    if (!r.ok) throw new Error("expected ok");
    expect(r.source.data).toEqual({ "${K}": 1, n: 5 });
  });
});

describe("formatPath", () => {
  it("writes indexes in brackets and quotes odd keys", () => {
    expect(formatPath(["steps", 1, "verify", "checks", 0, "rowCount", "min"])).toBe(
      "steps[1].verify.checks[0].rowCount.min",
    );
    expect(formatPath(["tables", "shop.orders", "email"])).toBe('tables["shop.orders"].email');
    expect(formatPath([])).toBe("");
  });
});
