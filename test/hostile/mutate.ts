/**
 * Seeded mutations of the repository's own drill, scrubber and config files, for the fuzz test.
 * Every case is reproducible from (seed, index): `caseAt(seed, i)`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isMap, isSeq, parseDocument, stringify } from "yaml";
import type { Node } from "yaml";
import { REPO } from "../helpers/project.js";

export type Kind = "drill" | "scrubber" | "config";

export const FILES: Record<Kind, string> = {
  drill: "drills/quickstart.yaml",
  scrubber: "scrubbers/shop.yaml",
  config: "config/drill.yaml",
};

export const BASE: Record<Kind, string> = {
  drill: readFileSync(join(REPO, FILES.drill), "utf8"),
  scrubber: readFileSync(join(REPO, FILES.scrubber), "utf8"),
  config: readFileSync(join(REPO, FILES.config), "utf8"),
};

/** mulberry32: small, fast, and the same sequence on every machine. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}
export type Rng = ReturnType<typeof prng>;

const UNICODE = [
  "é",
  "日本語",
  "\u202e\u0645\u0631\u062d\u0628\u0627", // right-to-left override + Arabic
  "\u200b\u200d\ufeff", // zero-width characters and a BOM
  "🦆🔥",
  "\u0000",
  "\u0007\u001b[31m", // bell and a terminal colour escape
  "a\u0301\u0301\u0301", // combining marks
  "\ud800", // a lone surrogate (YAML cannot even write it)
  "\u2028\u2029", // line and paragraph separators
  "\r",
  "\n",
  "İı",
];

const KEYS = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "",
  " ",
  "name",
  "steps",
  "restore",
  "scrub",
  "keep",
  "x".repeat(300),
  "a.b",
  "../../etc/passwd",
  "a\nb",
  "k\u0000",
  "${SCRUB_SECRET}",
  "0",
  "-1",
  "true",
  "null",
  "<<",
];

const NUMBERS = [
  0,
  -0,
  -1,
  1.5,
  1e308,
  -1e308,
  2 ** 53 + 1,
  2 ** 64,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_VALUE,
  Infinity,
  -Infinity,
  NaN,
  65536,
  4294967296,
];

const STRINGS = [
  "",
  " ",
  "latest",
  "keep",
  "90d",
  "0s",
  "99999999999999999999d",
  "1h30m",
  "-5m",
  "../../etc/passwd",
  "/etc/passwd",
  "s3://",
  "shop",
  "quickstart",
  "sandbox",
  "person.fullName",
  "internet.nope",
  "a".repeat(10_000),
  "${SCRUB_SECRET}",
  "${NOT_SET_ANYWHERE}",
  "${",
  "$${literal}",
  "${A-B}",
  "${}",
  "${HUGE}",
  "select pg_sleep(100)",
  "'; drop table orders; --",
  "0 4 * * 1",
  "61 25 * * *",
  "* * * * * * *",
  "Mars/Olympus_Mons",
  "Tue 10:00-12:00 Europe/Berlin",
  "Tue 25:00-12:00 Nowhere/Else",
  "2026-13-45T99:99:99Z",
  "postgres://u:p@h/db",
  "http://",
  "not a url",
];

function randomScalar(r: Rng): unknown {
  switch (r.int(5)) {
    case 0:
      return r.pick(NUMBERS);
    case 1:
      return r.pick(STRINGS);
    case 2:
      return r.pick([true, false, null]);
    case 3:
      return r.pick(UNICODE) + r.pick(STRINGS).slice(0, 40);
    default:
      return r.int(2) ? [] : {};
  }
}

function randomValue(r: Rng, depth = 0): unknown {
  if (depth > 3 || r.int(3) > 0) return randomScalar(r);
  if (r.int(2)) return Array.from({ length: r.int(4) }, () => randomValue(r, depth + 1));
  const out: Record<string, unknown> = {};
  for (let i = r.int(4); i > 0; i--) out[r.pick(KEYS)] = randomValue(r, depth + 1);
  return out;
}

/** Every mapping and list node of the document with its parent, for structural mutations. */
function collections(node: unknown, out: Node[] = []): Node[] {
  if (isMap(node)) {
    out.push(node);
    for (const p of node.items) collections(p.value, out);
  } else if (isSeq(node)) {
    out.push(node);
    for (const item of node.items) collections(item, out);
  }
  return out;
}

/** Mutate the parsed document (keys, values, types), then print it back as YAML. */
function structural(text: string, r: Rng): string {
  const doc = parseDocument(text);
  const nodes = collections(doc.contents);
  if (nodes.length === 0) return text;
  const rounds = 1 + r.int(3);
  for (let n = 0; n < rounds; n++) {
    const node = r.pick(nodes);
    if (isMap(node) && node.items.length > 0) {
      const i = r.int(node.items.length);
      const pair = node.items[i]!;
      switch (r.int(7)) {
        case 0: // delete a key
          node.items.splice(i, 1);
          break;
        case 1: // rename a key
          pair.key = doc.createNode(r.pick(KEYS));
          break;
        case 2: // retype the value
          pair.value = doc.createNode(randomValue(r));
          break;
        case 3: // a huge or odd number
          pair.value = doc.createNode(r.pick(NUMBERS));
          break;
        case 4: // unicode in the value (or the key)
          if (r.int(2)) pair.key = doc.createNode(`${String(pair.key)}${r.pick(UNICODE)}`);
          else pair.value = doc.createNode(`${r.pick(UNICODE)}${r.pick(STRINGS).slice(0, 30)}`);
          break;
        case 5: // an extra key
          node.items.push(doc.createPair(r.pick(KEYS), randomValue(r)));
          break;
        default: // the value wrapped in a list or mapping
          pair.value = doc.createNode(r.int(2) ? [pair.value] : { x: pair.value });
      }
    } else if (isSeq(node)) {
      switch (r.int(4)) {
        case 0:
          node.items.splice(r.int(node.items.length + 1), 1);
          break;
        case 1:
          if (node.items.length > 0) node.items.push(node.items[r.int(node.items.length)] as Node); // the same node twice
          break;
        case 2:
          node.items.push(doc.createNode(randomValue(r)));
          break;
        default:
          node.items = [];
      }
    }
  }
  try {
    return doc.toString({ lineWidth: 0 });
  } catch {
    // A key YAML cannot write (a lone surrogate, say): a plain stringify of the data instead.
    return stringify(doc.toJS(), { lineWidth: 0 });
  }
}

const lines = (t: string) => t.split("\n");

function textual(text: string, r: Rng): string {
  const ls = lines(text);
  const at = r.int(ls.length);
  switch (r.int(9)) {
    case 0: // delete a line
      ls.splice(at, 1);
      return ls.join("\n");
    case 1: // duplicate a line (duplicate keys, or a list item twice)
      ls.splice(at, 0, ls[at] ?? "");
      return ls.join("\n");
    case 2: // change its indentation
      ls[at] = r.int(2) ? `  ${ls[at]}` : (ls[at] ?? "").replace(/^ {1,2}/, "");
      return ls.join("\n");
    case 3: // swap two lines
      [ls[at], ls[0]] = [ls[0] ?? "", ls[at] ?? ""];
      return ls.join("\n");
    case 4: // truncate
      return text.slice(0, r.int(text.length));
    case 5: // a YAML special character somewhere
      return spliceText(
        text,
        r,
        r.pick([
          "&",
          "*",
          "!",
          "|",
          ">",
          "%",
          "@",
          "`",
          "{",
          "[",
          "- ",
          ": ",
          "? ",
          "#",
          "'",
          '"',
          "\t",
        ]),
      );
    case 6: // unicode somewhere
      return spliceText(text, r, r.pick(UNICODE));
    case 7: // a tag on a value
      return text.replace(
        /: (\S)/,
        `: ${r.pick(["!!binary", "!!set", "!!omap", "!!pairs", "!!timestamp", "!!int", "!!float", "!!map", "!!seq", "!foo", "!<tag:x>", "!!str"])} $1`,
      );
    default: // a random printable ASCII character
      return spliceText(text, r, String.fromCharCode(32 + r.int(95)));
  }
}

const spliceText = (text: string, r: Rng, insert: string) => {
  const at = r.int(text.length + 1);
  return text.slice(0, at) + insert + text.slice(at);
};

/** Hand-written hostile documents, some inserted into the real file. */
function special(text: string, r: Rng): string | Uint8Array {
  switch (r.int(14)) {
    case 0:
      return r.pick(["", " ", "\n\n", "# only a comment\n", "---\n", "~\n", "...\n", "---\n...\n"]);
    case 1: {
      // billion laughs, of random width and depth
      const width = 2 + r.int(9);
      const depth = 2 + r.int(9);
      const rows = [`a0: &a0 [${Array(width).fill('"lol"').join(",")}]`];
      for (let i = 1; i < depth; i++)
        rows.push(
          `a${i}: &a${i} [${Array(width)
            .fill(`*a${i - 1}`)
            .join(",")}]`,
        );
      return `${text}\n${rows.join("\n")}\n`;
    }
    case 2: // an alias bomb as a value the schema reads
      return text.replace(
        /^steps:/m,
        `x: &x [${Array(10).fill('"a"').join(",")}]\ny: &y [${Array(10).fill("*x").join(",")}]\nz: &z [${Array(10).fill("*y").join(",")}]\nsteps:`,
      );
    case 3: // an undefined alias, a self-reference, a merge key
      return `${text}\n${r.pick(["u: *nowhere", "s: &s [*s]", "m: &m { a: 1 }\nn: { <<: *m }", "p: &p\n  q: *p"])}\n`;
    case 4: {
      // deep flow nesting
      const d = r.pick([50, 500, 2000, 10_000, 50_000]);
      const [open, close] = r.int(2) ? ["[", "]"] : ["{a: ", "}"];
      return `${text}\ndeep: ${open.repeat(d)}1${close.repeat(d)}\n`;
    }
    case 5: {
      // deep block nesting
      const d = r.pick([20, 200, 1000]);
      const rows = Array.from({ length: d }, (_, i) => `${" ".repeat(i)}k${i}:`);
      return `${text}\n${rows.join("\n")} 1\n`;
    }
    case 6: {
      // deep nesting where the schema looks: a step
      const d = r.pick([100, 1000, 5000]);
      return text.replace(
        /^steps:/m,
        `steps:\n  - restore: ${"[".repeat(d)}${"]".repeat(d)}\nold_steps:`,
      );
    }
    case 7: {
      // invalid UTF-8 inserted at a random place
      const bytes = Buffer.from(text);
      const at = r.int(bytes.length + 1);
      const bad = Buffer.from(
        r.pick([
          [0xff],
          [0xc3],
          [0xc0, 0xaf],
          [0xed, 0xa0, 0x80],
          [0xf8, 0x88, 0x80, 0x80, 0x80],
          [0xfe, 0xfe],
        ]),
      );
      return Buffer.concat([bytes.subarray(0, at), bad, bytes.subarray(at)]);
    }
    case 8: {
      // random bytes
      const bytes = Buffer.from(text);
      for (let i = 1 + r.int(8); i > 0; i--) bytes[r.int(bytes.length)] = r.int(256);
      return bytes;
    }
    case 9: // truncated in the middle of a multi-byte character
      return Buffer.from(`${text}é日本`).subarray(0, Buffer.byteLength(text) + 1 + r.int(4));
    case 10: // a long line, or a file just over the limit
      return r.int(2)
        ? `${text}\nlong: "${"x".repeat(500_000)}"\n`
        : `${text}\n#${"x".repeat(1024 * 1024)}\n`;
    case 11: // many keys
      return `${text}\n${Array.from({ length: 5000 }, (_, i) => `k${i}: ${i}`).join("\n")}\n`;
    case 12: // several documents, directives
      return r.pick([
        `${text}\n---\n${text}`,
        `%YAML 1.1\n---\n${text}`,
        `%FOO bar\n---\n${text}`,
        `--- !!set\n${text}`,
      ]);
    default: // a BOM, CRLF line ends, tabs
      return r.pick([`\ufeff${text}`, text.replace(/\n/g, "\r\n"), text.replace(/ {2}/g, "\t")]);
  }
}

export interface FuzzCase {
  index: number;
  /** What was done, for the failure message. */
  what: string;
  /** Project files: path → content (the three base files, some mutated). */
  files: Record<string, string | Uint8Array>;
  env: Record<string, string>;
  /** Arguments to `drill validate` (empty: the whole project). */
  args: string[];
}

const ENV_BASE = { SCRUB_SECRET: "fuzz-secret-0123456789" };

/** Case `index` of the run seeded with `seed`. */
export function caseAt(seed: number, index: number): FuzzCase {
  const r = prng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const files: Record<string, string | Uint8Array> = {};
  for (const k of Object.keys(FILES) as Kind[]) files[FILES[k]] = BASE[k];
  const targets =
    r.int(8) === 0 ? (Object.keys(FILES) as Kind[]) : [r.pick(Object.keys(FILES) as Kind[])];
  const what: string[] = [];
  for (const kind of targets) {
    const family = r.pick(["structural", "structural", "textual", "special", "mixed"] as const);
    const content: string | Uint8Array =
      family === "structural"
        ? structural(BASE[kind], r)
        : family === "textual"
          ? textual(BASE[kind], r)
          : family === "special"
            ? special(BASE[kind], r)
            : textual(structural(BASE[kind], r), r);
    files[FILES[kind]] = content;
    what.push(`${kind}:${family}`);
  }
  const env: Record<string, string> = { ...ENV_BASE };
  if (r.int(4) === 0) env.HUGE = "h".repeat(100_000);
  if (r.int(4) === 0) env.NEWLINE = "line1\nline2";
  const args =
    r.int(6) === 0
      ? [
          r.pick([
            FILES.drill,
            FILES.scrubber,
            FILES.config,
            "drills/nope.yaml",
            "../../etc/passwd",
          ]),
        ]
      : [];
  return { index, what: what.join(" "), files, env, args };
}

/** One problem per line: `file:line:col path: message`, `file:line: message` or `file: message`. */
export const PROBLEM_LINE =
  /^(config|drills|scrubbers|\.\.\/\.\.\/etc)\/[\w.-]+(:\d+(:\d+)?)?( [^\s].*)?: \S.*$|^unknown drill "[^"]*" \(known: .*\)$/;
/** What a stack trace or an uncaught error looks like on stderr. */
export const STACK = /^\s+at \S|\b(Type|Range|Reference|Syntax|Internal)?Error: |internal error/m;
