import { createHash } from "node:crypto";
import type { RunRecord } from "../types.js";

/**
 * The bytes a run record's digest is taken over: RFC 8785 (JSON Canonicalization Scheme) of the
 * record without its `storedAt` (where a store put it is not evidence, and differs per store).
 * That is: UTF-8, no whitespace, object keys sorted by UTF-16 code units, strings and numbers
 * written as ECMAScript's JSON.stringify writes them (-0 as 0), no trailing newline. The file
 * and S3 stores keep exactly these bytes, so `sha256sum <run id>.json` is the record's digest.
 */
export function canonicalRecord(record: RunRecord): string {
  const { storedAt: _where, ...evidence } = record;
  return canonicalJson(evidence);
}

/** RFC 8785 serialization of a JSON value; undefined members are left out as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string")
    return JSON.stringify(value);
  if (typeof value === "number") {
    // JSON has no NaN or Infinity; a record holding one is a bug, not something to sign.
    if (!Number.isFinite(value)) throw new Error(`cannot canonicalize the number ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      // Default sort compares UTF-16 code units: what RFC 8785 prescribes.
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  throw new Error(`cannot canonicalize a ${typeof value}`);
}

export const sha256Hex = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

/** The record's digest: what its statement's subject names and the next record's `previous`. */
export const recordDigest = (record: RunRecord) => sha256Hex(canonicalRecord(record));
