import { readFile, stat } from "node:fs/promises";
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from "yaml";
import type { Scalar } from "yaml";
import { interpolate } from "./interpolate.js";
import { formatPath, type PathSegment, type Problem } from "./problems.js";
import {
  cyclicAlias,
  decodeUtf8,
  duplicateKeys,
  flowDepthOffset,
  indexPositions,
  interpolateNodes,
  keyOf,
  MAX_DEPTH,
  startOf,
  tooDeep,
} from "./yaml-nodes.js";

/** Files are hand-written configuration: anything bigger is a mistake or an attack. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Aliases may not expand a document beyond this many nodes ("billion laughs"). */
const MAX_ALIAS_COUNT = 100;

export interface Position {
  line: number;
  col: number;
}

/** One parsed YAML file: its data, where each value was written, and which values are secret. */
export interface YamlSource {
  /** Relative to the project root. */
  file: string;
  data: Record<string, unknown>;
  /** Where the value at `path` (or, with `key`, its key) was written; else its closest parent. */
  locate(path: readonly PathSegment[], opts?: { key?: boolean }): Position | undefined;
  /** The text as written, e.g. "${DB_ENV}", when the value came from environment variables. */
  written(path: readonly PathSegment[]): string | undefined;
  /** Environment values substituted into this file: messages must never contain them. */
  secrets: string[];
}

export type YamlResult = { ok: true; source: YamlSource } | { ok: false; problems: Problem[] };

type Env = Record<string, string | undefined>;

/** A problem located at `path` in `source` (at the key itself with `key`, e.g. an unknown key). */
export function problemAt(
  source: Pick<YamlSource, "file" | "locate">,
  path: readonly PathSegment[],
  message: string,
  opts: { key?: boolean } = {},
): Problem {
  const pos = source.locate(path, opts);
  return {
    file: source.file,
    ...(pos ? { line: pos.line, col: pos.col } : {}),
    path: formatPath(path),
    message,
  };
}

export async function readYamlFile(absPath: string, file: string, env: Env): Promise<YamlResult> {
  const fail = (message: string, line?: number): YamlResult => ({
    ok: false,
    problems: [{ file, ...(line ? { line } : {}), path: "", message }],
  });
  try {
    const info = await stat(absPath);
    if (!info.isFile()) return fail("not a regular file");
    // Checked before reading, so a huge file is never loaded into memory.
    if (info.size > MAX_FILE_BYTES) return fail(`file is larger than 1 MiB (${info.size} bytes)`);
    return parseYaml(await readFile(absPath), file, env);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT") return fail("file not found");
    if (code === "EACCES") return fail("permission denied");
    return fail(`cannot read the file (${code ?? (e instanceof Error ? e.message : String(e))})`);
  }
}

export function parseYaml(content: Uint8Array | string, file: string, env: Env): YamlResult {
  const fail = (message: string, pos?: Position): YamlResult => ({
    ok: false,
    problems: [{ file, ...(pos ?? {}), path: "", message }],
  });
  let text: string;
  if (typeof content === "string") text = content;
  else {
    if (content.byteLength > MAX_FILE_BYTES)
      return fail(`file is larger than 1 MiB (${content.byteLength} bytes)`);
    const decoded = decodeUtf8(content);
    if (typeof decoded !== "string")
      return fail("file is not valid UTF-8 text", { line: decoded.line, col: 1 });
    text = decoded;
  }

  const lineCounter = new LineCounter();
  const nested = `nested more than ${MAX_DEPTH} levels deep: refusing it (hand-written files need a handful)`;
  // Checked before parsing: the parser recurses per level and takes seconds on 100,000 "[".
  const deepAt = flowDepthOffset(text);
  if (deepAt !== undefined) {
    let line = 1;
    let start = 0;
    for (let i = text.indexOf("\n"); i !== -1 && i < deepAt; i = text.indexOf("\n", i + 1)) {
      line++;
      start = i + 1;
    }
    return fail(nested, { line, col: deepAt - start + 1 });
  }
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    // Checked below in linear time: yaml's own check compares every pair of keys.
    uniqueKeys: false,
    merge: false,
  });
  const at = (offset: number): Position => lineCounter.linePos(offset);
  if (doc.errors.some((e) => /call stack/i.test(e.message))) {
    return fail(nested, at(doc.errors[0]!.pos[0]));
  }
  const duplicates = duplicateKeys(doc.contents).map((key) => ({
    offset: key.range?.[0] ?? 0,
    message: "Map keys must be unique",
  }));
  if (doc.errors.length > 0 || duplicates.length > 0) {
    const errors = doc.errors.map((e) => ({
      offset: e.pos[0],
      message:
        e.code === "MULTIPLE_DOCS"
          ? 'a file holds one document: remove the second "---"'
          : (e.message.split("\n")[0] ?? e.message),
    }));
    return {
      ok: false,
      problems: [...errors, ...duplicates]
        .sort((a, b) => a.offset - b.offset)
        .map((e) => ({ file, ...at(e.offset), path: "", message: e.message })),
    };
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    return fail("file is empty");
  }
  if (!isMap(doc.contents)) {
    const got = isSeq(doc.contents)
      ? "a list"
      : isAlias(doc.contents)
        ? "an alias"
        : "a single value";
    return fail(
      `expected "key: value" lines at the top level, got ${got}`,
      startOf(doc.contents, at),
    );
  }

  // Block nesting (indentation) is not caught above; everything below recurses per level.
  const deep = tooDeep(doc.contents);
  if (deep) return fail(nested, startOf(deep, at));
  const cycle = cyclicAlias(doc);
  if (cycle)
    return fail("an alias inside the value its anchor names never ends", startOf(cycle, at));

  const problems: Problem[] = [];
  const secrets: string[] = [];
  const written = new Map<Scalar, string>();
  interpolateNodes(doc.contents, [], (scalar, path) => {
    const raw = scalar.value as string;
    const result = interpolate(raw, env);
    for (const message of result.problems)
      problems.push({ file, ...startOf(scalar, at), path: formatPath(path), message });
    if (result.substituted) {
      written.set(scalar, raw);
      secrets.push(...result.secrets);
    }
    scalar.value = result.value;
  });
  if (problems.length > 0) return { ok: false, problems };

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return fail(
      /alias/i.test(message)
        ? `too many aliases (more than ${MAX_ALIAS_COUNT} expansions): refusing a possible alias bomb`
        : message,
    );
  }
  const index = indexPositions(doc, at, written);
  return {
    ok: true,
    source: {
      file,
      data: data as Record<string, unknown>,
      secrets,
      locate(path, opts = {}) {
        for (let n = path.length; n >= 0; n--) {
          const entry = index.get(keyOf(path.slice(0, n)));
          if (entry) return (n === path.length && opts.key ? entry.key : undefined) ?? entry.node;
        }
        return undefined;
      },
      written: (path) => index.get(keyOf(path))?.written,
    },
  };
}
