import { isAlias, isMap, isScalar, isSeq } from "yaml";
import type { Document, Node, Scalar } from "yaml";
import type { PathSegment } from "./problems.js";
import type { Position } from "./yaml.js";

/** Following aliases while indexing positions is bounded too. */
const MAX_INDEXED_NODES = 100_000;

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
