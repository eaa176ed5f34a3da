import type { RunRecord } from "../types.js";

/**
 * DSSE (Dead Simple Signing Envelope) around an in-toto Statement v1: the format cosign and
 * in-toto tools read. The signature is over PAE(payloadType, payload), never over the JSON of
 * the envelope, so an auditor rebuilds the PAE bytes and checks them with openssl.
 */
export const PAYLOAD_TYPE = "application/vnd.in-toto+json";
export const STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
/** What the predicate describes: one stored drill run record and its place in the chain. */
export const PREDICATE_TYPE = "https://drill.dev/evidence/run-record/v1";

export interface Envelope {
  payloadType: string;
  payload: string;
  signatures: { keyid: string; sig: string }[];
}

export interface Statement {
  _type: string;
  subject: { name: string; digest: { sha256: string } }[];
  predicateType: string;
  predicate: Record<string, unknown>;
}

/** `DSSEv1 <len(type)> <type> <len(payload)> <payload>`, lengths in bytes, as ASCII decimals. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, "utf8");
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, "utf8"),
    type,
    Buffer.from(` ${payload.length} `, "utf8"),
    payload,
  ]);
}

/**
 * The statement for one record: its subject is the record's digest, named by where it lives in
 * a store (`<drill>/<run id>.json`). The predicate repeats a few fields for a reader of the
 * envelope alone; only the digest binds the record.
 */
export function statementFor(record: RunRecord, digest: string): Statement {
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: `${record.drill}/${record.id}.json`, digest: { sha256: digest } }],
    predicateType: PREDICATE_TYPE,
    predicate: {
      drill: record.drill,
      runId: record.id,
      outcome: record.outcome,
      startedAt: record.startedAt,
      finishedAt: record.finishedAt,
      ...(record.chain ? { chain: record.chain } : {}),
      canonicalization: "RFC 8785 (JCS) of the record without storedAt",
    },
  };
}

/** Parse a stored `.intoto.jsonl` line; undefined when it is not a DSSE envelope. */
export function parseEnvelope(text: string): Envelope | undefined {
  try {
    const e = JSON.parse(text.trim()) as Partial<Envelope>;
    if (typeof e.payloadType !== "string" || typeof e.payload !== "string") return undefined;
    if (!Array.isArray(e.signatures)) return undefined;
    const signatures = e.signatures.filter(
      (s): s is Envelope["signatures"][number] =>
        typeof s?.sig === "string" && typeof s?.keyid === "string",
    );
    return { payloadType: e.payloadType, payload: e.payload, signatures };
  } catch {
    return undefined;
  }
}

/** The statement inside an envelope; undefined when it is not one. */
export function statementOf(envelope: Envelope): Statement | undefined {
  try {
    const s = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8")) as Statement;
    return s._type === STATEMENT_TYPE && Array.isArray(s.subject) ? s : undefined;
  } catch {
    return undefined;
  }
}
