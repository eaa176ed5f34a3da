import type { ElementRule } from "../definitions/scrubber.js";
import { lit } from "./sql-literal.js";

/** A json rule as compiled: its paths, and what happens to the keys no path names. */
export interface JsonRule {
  json: Record<string, ElementRule>;
  rest?: "keep" | "drop" | "scan" | undefined;
}

/** Named paths as a tree: a leaf (true) keeps everything under it. */
type Tree = Map<string, Tree | true>;

/**
 * `a.b` → the text[] path `{"a","b"}` as a string constant: each key quoted for the array syntax
 * (a quote or a backslash in a key escaped by a backslash), then the whole for SQL by lit.
 */
export const jsonPath = (path: string): string =>
  lit(
    `{${path
      .split(".")
      .map((s) => `"${s.replace(/["\\]/g, "\\$&")}"`)
      .join(",")}}`,
  );

/**
 * Each path's rule applied in turn, where the original document has a value there. One
 * jsonb_set per path, aimed at the empty path (a no-op) where there is none: a CASE per path
 * would copy everything before it into both branches, doubling the statement with each path.
 * `rest: drop` first prunes the document to the named paths (and their parents).
 * `element(rule, src)` compiles a path's rule on the text `src` (text out).
 */
export function jsonExpr(
  ref: string,
  rule: JsonRule,
  element: (rule: Exclude<ElementRule, "keep" | null>, src: string) => string,
): string {
  const doc = `${ref}::jsonb`;
  const drop = rule.rest === "drop";
  let acc = drop ? prune(doc, treeOf(Object.keys(rule.json))) : doc;
  for (const [path, inner] of Object.entries(rule.json)) {
    if (inner === "keep") continue;
    const p = jsonPath(path);
    const src = `(${doc} #>> ${p})`;
    let value: string;
    if (inner === null) value = `'null'::jsonb`;
    else if ("set" in inner)
      value =
        inner.set === null
          ? `'null'::jsonb`
          : `to_jsonb(${lit(String(inner.set))}::${typeof inner.set === "string" ? "text" : typeof inner.set === "number" ? "numeric" : "boolean"})`;
    else value = `coalesce(to_jsonb(${element(inner, src)}), 'null'::jsonb)`;
    acc = `jsonb_set(${acc}, case when ${src} is null then '{}' else ${p}::text[] end, case when ${src} is null then 'null'::jsonb else ${value} end, false)`;
  }
  // jsonb_set refuses a scalar document, which has none of the paths: it stays as it is (or,
  // with rest: drop, is dropped: no path names it).
  if (acc === doc) return doc;
  return `case when jsonb_typeof(${doc}) in ('object', 'array') then ${acc} else ${drop ? `case when ${doc} is not null then 'null'::jsonb end` : doc} end`;
}

function treeOf(paths: string[]): Tree {
  const root: Tree = new Map();
  for (const path of paths) {
    let node = root;
    const parts = path.split(".");
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      const next = node.get(part);
      if (last || next === true) {
        node.set(part, true);
        return;
      }
      if (next === undefined) node.set(part, new Map());
      node = node.get(part) as Tree;
    });
  }
  return root;
}

/**
 * `e` with only the keys the tree names: an object keeps the named keys it has; an array keeps
 * the named positions, in order; anything else where a container was expected becomes null.
 * Built without sub-selects (they would keep the expression above the parallel scan).
 */
function prune(e: string, tree: Tree): string {
  const keys = [...tree.keys()];
  const child = (k: string, sub: Tree | true, get: string) =>
    sub === true ? get : prune(`(${get})`, sub);
  const object = `jsonb_build_object(${keys
    .map((k) => `${lit(k)}, ${child(k, tree.get(k)!, `${e} -> ${lit(k)}`)}`)
    .join(", ")}) - array_remove(array[${keys
    .map((k) => `case when ${e} ? ${lit(k)} then null else ${lit(k)} end`)
    .join(", ")}]::text[], null)`;
  const indices = keys.filter((k) => /^\d+$/.test(k)).sort((a, b) => Number(a) - Number(b));
  const array =
    indices.length === 0
      ? `'[]'::jsonb`
      : `jsonb_build_array(${indices.map((k) => child(k, tree.get(k)!, `${e} -> ${k}`)).join(", ")})`;
  return `(case jsonb_typeof(${e}) when 'object' then ${object} when 'array' then ${array} else 'null'::jsonb end)`;
}
