import { isAlias, isMap, isScalar, isSeq, visit } from "yaml";
import type { Document, Node, Scalar } from "yaml";
import type { PathSegment } from "./problems.js";
import type { Position } from "./yaml.js";

/** Following aliases while indexing positions is bounded too. */
const MAX_INDEXED_NODES = 100_000;

/** Hand-written configuration nests a handful of levels; the code below recurses per level. */
export const MAX_DEPTH = 64;

/**
 * Where flow collections (`[`, `{`) first nest deeper than MAX_DEPTH, by a quick scan that skips
 * quoted strings and comments; undefined when they do not. Block scalars are not recognised, so
 * brackets inside one count too: only a text with more than MAX_DEPTH open brackets is refused.
 */
export function flowDepthOffset(text: string): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "[" || c === "{") {
      if (++depth > MAX_DEPTH) return i;
    } else if (c === "]" || c === "}") {
      depth = Math.max(0, depth - 1);
    } else if (c === "#" && (i === 0 || /\s/.test(text[i - 1]!))) {
      const end = text.indexOf("\n", i);
      if (end === -1) return undefined;
      i = end;
    } else if ((c === '"' || c === "'") && (i === 0 || /[\s[{,:]/.test(text[i - 1]!))) {
      // A quoted scalar: skip to its closing quote ("" escapes in '…', \" in "…").
      for (i++; i < text.length; i++) {
        if (c === '"' && text[i] === "\\") i++;
        else if (text[i] === c) {
          if (c === "'" && text[i + 1] === "'") i++;
          else break;
        }
      }
    }
  }
  return undefined;
}

/** The first node nested deeper than MAX_DEPTH (aliases not followed), found without recursion. */
export function tooDeep(root: unknown): Node | undefined {
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth >= MAX_DEPTH) return node;
    for (const item of node.items) {
      if (isMap(node)) {
        const pair = item as { key: unknown; value: unknown };
        stack.push([pair.value, depth + 1], [pair.key, depth + 1]);
      } else stack.push([item, depth + 1]);
    }
  }
  return undefined;
}

/**
 * Keys written twice in one mapping (the later ones), compared as the data will see them: `1`
 * and `"1"` collide. yaml's own `uniqueKeys` compares every pair, which takes seconds on a file
 * of 20,000 keys; this is linear.
 */
export function duplicateKeys(root: unknown): Node[] {
  const found: Node[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (isScalar(pair.key)) {
          const key = String(pair.key.value);
          if (seen.has(key)) found.push(pair.key);
          seen.add(key);
        }
        stack.push(pair.value);
      }
    } else if (isSeq(node)) stack.push(...node.items);
  }
  return found;
}

/** An alias inside the very node its anchor names (`a: &a [*a]`): data that never ends. */
export function cyclicAlias(doc: Document): Node | undefined {
  let found: Node | undefined;
  visit(doc, {
    Alias(_, alias) {
      const target = alias.resolve(doc);
      if (target?.range && alias.range) {
        if (target.range[0] <= alias.range[0] && alias.range[1] <= target.range[1]) {
          found = alias;
          return visit.BREAK;
        }
      }
      return undefined;
    },
  });
  return found;
}

export interface Entry {
  node: Position;
  key?: Position;
  written?: string;
}

export const keyOf = (path: readonly PathSegment[]) => path.map(String).join("\u0000");

export function startOf(node: Node, at: (offset: number) => Position): Position | undefined {
  return node.range ? at(node.range[0]) : undefined;
}

/** Calls `fn` for every string value (not keys), without following aliases: each node once. */
export function interpolateNodes(
  node: unknown,
  path: PathSegment[],
  fn: (s: Scalar, path: PathSegment[]) => void,
) {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      interpolateNodes(pair.value, [...path, key], fn);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => interpolateNodes(item, [...path, i], fn));
  } else if (isScalar(node) && typeof node.value === "string") {
    fn(node, path);
  }
}

export function indexPositions(
  doc: Document,
  at: (offset: number) => Position,
  written: Map<Scalar, string>,
) {
  const index = new Map<string, Entry>();
  let budget = MAX_INDEXED_NODES;
  const walk = (node: unknown, path: PathSegment[], entry: Entry) => {
    if (budget-- <= 0) return;
    const k = keyOf(path);
    if (!index.has(k)) index.set(k, entry);
    // A value reached through an alias is located where the anchor wrote it.
    const target = isAlias(node) ? node.resolve(doc) : node;
    if (isMap(target)) {
      for (const pair of target.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const keyPos = isScalar(pair.key) ? startOf(pair.key, at) : undefined;
        const value = pair.value as Node | null;
        // `from:` with nothing after it: point at the key, the empty value has no place.
        const hasText = value?.range && value.range[1] > value.range[0];
        const pos = (hasText ? startOf(value, at) : undefined) ?? keyPos ?? entry.node;
        walk(value, [...path, key], { node: pos, ...(keyPos ? { key: keyPos } : {}) });
      }
    } else if (isSeq(target)) {
      target.items.forEach((item, i) => {
        const pos = startOf(item as Node, at) ?? entry.node;
        walk(item, [...path, i], { node: pos });
      });
    } else if (isScalar(target) && written.has(target)) {
      entry.written = written.get(target);
    }
  };
  walk(doc.contents, [], { node: startOf(doc.contents as Node, at) ?? { line: 1, col: 1 } });
  return index;
}

/** The text, or the line of the first byte that is not UTF-8 (0x0A never occurs inside a character). */
export function decodeUtf8(bytes: Uint8Array): string | { line: number } {
  const strict = new TextDecoder("utf-8", { fatal: true });
  try {
    return strict.decode(bytes);
  } catch {
    let line = 1;
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i < bytes.length && bytes[i] !== 0x0a) continue;
      try {
        strict.decode(bytes.subarray(start, i));
      } catch {
        return { line };
      }
      line++;
      start = i + 1;
    }
    return { line: 1 };
  }
}
