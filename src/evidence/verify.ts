import { verify, type KeyObject } from "node:crypto";
import type { StoredEvidence } from "../history/store.js";
import type { RunRecord } from "../types.js";
import { canonicalRecord, sha256Hex } from "./canonical.js";
import { PAYLOAD_TYPE, pae, parseEnvelope, statementOf } from "./dsse.js";

export interface TrustedKey {
  key: KeyObject;
  keyid: string;
}

interface Link {
  entry: StoredEvidence;
  record: RunRecord;
  digest: string;
  sequence: number;
}

/** What is wrong with a stored record, in a word (`drill controls` shows it per run). */
export type EvidenceProblemKind =
  "missing" | "edited" | "unsigned" | "foreign key" | "no key" | "not chained" | "chain broken";

export interface EvidenceProblem {
  /** The run whose record has the problem (for a gap in the chain: the record after it). */
  id: string;
  kind: EvidenceProblemKind;
  /** The line `drill verify-evidence` prints. */
  line: string;
}

/**
 * Check one drill's stored records: each one's signature and digest, then the chain (sequence
 * without gaps or repeats, each `previous` the digest of the record before). Returns one line per
 * problem; none means every record is signed by `trusted` and linked.
 */
export function verifyDrill(stored: StoredEvidence[], trusted: TrustedKey | undefined): string[] {
  return evidenceProblems(stored, trusted).map((p) => p.line);
}

/** `verifyDrill`'s problems, each with the run it is about and its kind. */
export function evidenceProblems(
  stored: StoredEvidence[],
  trusted: TrustedKey | undefined,
): EvidenceProblem[] {
  const problems: EvidenceProblem[] = [];
  const links: Link[] = [];
  // Run ids start with their time: problems come out oldest first, the same on every store.
  for (const entry of [...stored].sort((a, b) => a.id.localeCompare(b.id))) {
    const at = entry.storedAt;
    const problem = (kind: EvidenceProblemKind, text: string) =>
      problems.push({ id: entry.id, kind, line: `${at}: ${text}` });
    if (entry.bytes === undefined) {
      problem("missing", "missing record: its signed envelope is there, the record is gone");
      continue;
    }
    let record: RunRecord;
    try {
      record = JSON.parse(entry.bytes) as RunRecord;
    } catch {
      problem("edited", "edited record: not JSON any more");
      continue;
    }
    if (!record || typeof record !== "object" || record.id !== entry.id) {
      problem("edited", `edited record: it does not hold run ${entry.id}`);
      continue;
    }
    const canonical = canonicalRecord(record);
    const digest = sha256Hex(canonical);
    const sequence = record.chain?.sequence;
    if (typeof sequence !== "number") {
      problem("not chained", "not chained (stored before drill kept evidence, or chain removed)");
      continue;
    }
    if (!Number.isInteger(sequence) || sequence < 1) {
      problem("edited", "edited record: its chain sequence is not a whole number from 1");
      continue;
    }
    links.push({ entry, record, digest, sequence });
    const signature = checkSignature(entry.envelope, digest, trusted);
    if (signature) problem(signature.kind, signature.text);
    else if (canonical !== entry.bytes)
      problem("edited", "edited record: same values, other bytes (sha256sum will not match)");
  }
  return [...problems, ...checkChain(links)];
}

/** What is wrong with a record's envelope, or undefined when `trusted` signed this digest. */
function checkSignature(
  text: string | undefined,
  digest: string,
  trusted: TrustedKey | undefined,
): { kind: EvidenceProblemKind; text: string } | undefined {
  const problem = (kind: EvidenceProblemKind, text: string) => ({ kind, text });
  if (text === undefined)
    return problem("unsigned", "unsigned record (no .intoto.jsonl beside it)");
  const envelope = parseEnvelope(text);
  const statement = envelope && statementOf(envelope);
  if (!envelope || !statement || envelope.payloadType !== PAYLOAD_TYPE)
    return problem("edited", "edited envelope: not a DSSE envelope of an in-toto statement");
  if (!trusted) return problem("no key", "signed, but no public key to check it with");
  const ours = envelope.signatures.filter((s) => s.keyid === trusted.keyid);
  if (ours.length === 0) {
    const others = envelope.signatures.map((s) => s.keyid.slice(0, 16)).join(", ") || "none";
    return problem(
      "foreign key",
      `signed by another key (keyid ${others}…, trusted ${trusted.keyid.slice(0, 16)}…)`,
    );
  }
  const signed = pae(envelope.payloadType, Buffer.from(envelope.payload, "base64"));
  if (!ours.some((s) => verify(null, signed, trusted.key, Buffer.from(s.sig, "base64"))))
    return problem("edited", "edited envelope: its signature does not verify");
  const subject = statement.subject[0]?.digest?.sha256;
  if (subject !== digest)
    return problem(
      "edited",
      `edited record: its digest is ${digest.slice(0, 16)}…, the signed one ${String(subject).slice(0, 16)}…`,
    );
  return undefined;
}

/** Gaps, repeats and broken links in one drill's chain. */
function checkChain(links: Link[]): EvidenceProblem[] {
  const problems: EvidenceProblem[] = [];
  const sorted = [...links].sort((a, b) => a.sequence - b.sequence);
  let expected = 1;
  let before: Link | undefined;
  for (const link of sorted) {
    const at = link.entry.storedAt;
    const broken = (line: string) =>
      problems.push({ id: link.entry.id, kind: "chain broken", line });
    if (before && link.sequence === before.sequence) {
      broken(`${at}: sequence ${link.sequence} repeated (also ${before.entry.storedAt})`);
      continue;
    }
    if (link.sequence > expected) {
      const range =
        link.sequence - 1 === expected ? `${expected}` : `${expected}-${link.sequence - 1}`;
      const where = before ? `after ${before.entry.id}` : "at the start";
      broken(
        `${link.record.drill}: missing record: sequence ${range} (${where}, before ${link.entry.id})`,
      );
    } else if (link.sequence === expected) {
      const previous = before?.digest ?? null;
      if (link.record.chain!.previous !== previous)
        broken(
          `${at}: chain broken: its previous is not the digest of ${before ? before.entry.id : "nothing (first record)"}`,
        );
    }
    expected = link.sequence + 1;
    before = link;
  }
  return problems;
}
