import type { HistoryStore, StoredEvidence } from "../history/store.js";
import type { RunRecord } from "../types.js";
import { canonicalRecord, sha256Hex } from "./canonical.js";
import { PAYLOAD_TYPE, pae, statementFor, type Envelope } from "./dsse.js";
import { loadSigner } from "./keys.js";
import type { Signer } from "./signer.js";

/** The newest link of a drill's chain: the highest sequence stored and that record's digest. */
export function chainHead(
  stored: StoredEvidence[],
): { id: string; sequence: number; digest: string } | undefined {
  let head: { id: string; sequence: number; digest: string } | undefined;
  for (const e of stored) {
    const record = parsed(e.bytes);
    const sequence = record?.chain?.sequence;
    if (typeof sequence !== "number" || (head && head.sequence >= sequence)) continue;
    head = { id: e.id, sequence, digest: sha256Hex(canonicalRecord(record!)) };
  }
  return head;
}

/**
 * Store a run as evidence: link it to its drill's newest record (`record.chain` is set on the
 * object given, so what `drill run --json` prints is what was stored), sign it when there is a
 * signer, and save both. One writer per drill at a time keeps the sequence unique: the head is
 * read and the record written under a per-drill lock (in this process; in the PostgreSQL store,
 * an advisory lock all replicas share), besides the drill lock and the run lease.
 */
export function sealAndSave(
  store: HistoryStore,
  record: RunRecord,
  signer: Signer | undefined,
): Promise<string> {
  const append = () => seal(store, record, signer);
  // In this process (a daemon storing a skipped slot while the drill's run stores its own), one
  // append per drill at a time; across processes, the store's lock where it has one.
  return inProcess(record.drill, () =>
    store.exclusive ? store.exclusive(record.drill, append) : append(),
  );
}

const appending = new Map<string, Promise<unknown>>();

function inProcess<T>(drill: string, fn: () => Promise<T>): Promise<T> {
  const before = appending.get(drill) ?? Promise.resolve();
  const mine = before.catch(() => {}).then(fn);
  const settled = mine.catch(() => {});
  appending.set(drill, settled);
  void settled.then(() => {
    if (appending.get(drill) === settled) appending.delete(drill);
  });
  return mine;
}

async function seal(
  store: HistoryStore,
  record: RunRecord,
  signer: Signer | undefined,
): Promise<string> {
  const stored = await store.evidence(record.drill);
  const kept = parsed(stored.find((e) => e.id === record.id)?.bytes)?.chain;
  if (kept) {
    // Saved again (same id): it keeps its place in the chain.
    record.chain = kept;
  } else {
    const head = chainHead(stored);
    record.chain = { previous: head?.digest ?? null, sequence: (head?.sequence ?? 0) + 1 };
  }
  const envelope = signer ? JSON.stringify(await envelopeFor(record, signer)) : undefined;
  return store.save(record, envelope);
}

/** The DSSE envelope of a record's in-toto statement, signed by `signer`. */
export async function envelopeFor(record: RunRecord, signer: Signer): Promise<Envelope> {
  const digest = sha256Hex(canonicalRecord(record));
  const payload = Buffer.from(JSON.stringify(statementFor(record, digest)), "utf8");
  const sig = await signer.sign(pae(PAYLOAD_TYPE, payload));
  return {
    payloadType: PAYLOAD_TYPE,
    payload: payload.toString("base64"),
    signatures: [{ keyid: signer.keyid, sig: sig.toString("base64") }],
  };
}

/** The signer for a project's runs, from the environment it was loaded with. */
export const signerFor = (project: { env?: Record<string, string | undefined> }) =>
  loadSigner(project.env ?? {});

/** The line a run prints once when its evidence will be unsigned. */
export const UNSIGNED_NOTE =
  "note: evidence is unsigned (no signing key): run `drill keygen`, or set DRILL_SIGNING_KEY";

function parsed(bytes: string | undefined): RunRecord | undefined {
  if (bytes === undefined) return undefined;
  try {
    return JSON.parse(bytes) as RunRecord;
  } catch {
    return undefined;
  }
}
