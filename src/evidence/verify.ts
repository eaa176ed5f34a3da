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

/**
 * Check one drill's stored records: each one's signature and digest, then the chain (sequence
 * without gaps or repeats, each `previous` the digest of the record before). Returns one line per
 * problem; none means every record is signed by `trusted` and linked.
 */
export function verifyDrill(stored: StoredEvidence[], trusted: TrustedKey | undefined): string[] {
  const problems: string[] = [];
  const links: Link[] = [];
  // Run ids start with their time: problems come out oldest first, the same on every store.
  for (const entry of [...stored].sort((a, b) => a.id.localeCompare(b.id))) {
    const at = entry.storedAt;
    if (entry.bytes === undefined) {
      problems.push(`${at}: missing record: its signed envelope is there, the record is gone`);
      continue;
    }
    let record: RunRecord;
    try {
      record = JSON.parse(entry.bytes) as RunRecord;
    } catch {
      problems.push(`${at}: edited record: not JSON any more`);
      continue;
    }
    if (!record || typeof record !== "object" || record.id !== entry.id) {
      problems.push(`${at}: edited record: it does not hold run ${entry.id}`);
      continue;
    }
    const canonical = canonicalRecord(record);
    const digest = sha256Hex(canonical);
    const sequence = record.chain?.sequence;
    if (typeof sequence !== "number") {
      problems.push(`${at}: not chained (stored before drill kept evidence, or chain removed)`);
      continue;
    }
    if (!Number.isInteger(sequence) || sequence < 1) {
      problems.push(`${at}: edited record: its chain sequence is not a whole number from 1`);
      continue;
    }
    links.push({ entry, record, digest, sequence });
    const signature = checkSignature(entry.envelope, digest, trusted);
    if (signature) problems.push(`${at}: ${signature}`);
    else if (canonical !== entry.bytes)
      problems.push(`${at}: edited record: same values, other bytes (sha256sum will not match)`);
  }
  return [...problems, ...checkChain(links)];
}

/** What is wrong with a record's envelope, or undefined when `trusted` signed this digest. */
function checkSignature(
  text: string | undefined,
  digest: string,
  trusted: TrustedKey | undefined,
): string | undefined {
  if (text === undefined) return "unsigned record (no .intoto.jsonl beside it)";
  const envelope = parseEnvelope(text);
  const statement = envelope && statementOf(envelope);
  if (!envelope || !statement || envelope.payloadType !== PAYLOAD_TYPE)
    return "edited envelope: not a DSSE envelope of an in-toto statement";
  if (!trusted) return "signed, but no public key to check it with";
  const ours = envelope.signatures.filter((s) => s.keyid === trusted.keyid);
  if (ours.length === 0) {
    const others = envelope.signatures.map((s) => s.keyid.slice(0, 16)).join(", ") || "none";
    return `signed by another key (keyid ${others}…, trusted ${trusted.keyid.slice(0, 16)}…)`;
  }
  const signed = pae(envelope.payloadType, Buffer.from(envelope.payload, "base64"));
  if (!ours.some((s) => verify(null, signed, trusted.key, Buffer.from(s.sig, "base64"))))
    return "edited envelope: its signature does not verify";
  const subject = statement.subject[0]?.digest?.sha256;
  if (subject !== digest)
    return `edited record: its digest is ${digest.slice(0, 16)}…, the signed one ${String(subject).slice(0, 16)}…`;
  return undefined;
}

/** Gaps, repeats and broken links in one drill's chain. */
function checkChain(links: Link[]): string[] {
  const problems: string[] = [];
  const sorted = [...links].sort((a, b) => a.sequence - b.sequence);
  let expected = 1;
  let before: Link | undefined;
  for (const link of sorted) {
    const at = link.entry.storedAt;
    if (before && link.sequence === before.sequence) {
      problems.push(`${at}: sequence ${link.sequence} repeated (also ${before.entry.storedAt})`);
      continue;
    }
    if (link.sequence > expected) {
      const range =
        link.sequence - 1 === expected ? `${expected}` : `${expected}-${link.sequence - 1}`;
      const where = before ? `after ${before.entry.id}` : "at the start";
      problems.push(
        `${link.record.drill}: missing record: sequence ${range} (${where}, before ${link.entry.id})`,
      );
    } else if (link.sequence === expected) {
      const previous = before?.digest ?? null;
      if (link.record.chain!.previous !== previous)
        problems.push(
          `${at}: chain broken: its previous is not the digest of ${before ? before.entry.id : "nothing (first record)"}`,
        );
    }
    expected = link.sequence + 1;
    before = link;
  }
  return problems;
}
