import { evidenceProblems, type TrustedKey } from "../evidence/verify.js";
import type { StoredEvidence } from "../history/store.js";

/**
 * Each stored record's standing as evidence, as `drill verify-evidence` judges it: "signed" when
 * nothing is wrong, else what is (edited, unsigned, foreign key, no key, not chained, chain
 * broken), several joined by ", ".
 */
export function signatureStatuses(
  stored: StoredEvidence[],
  trusted: TrustedKey | undefined,
): Map<string, string> {
  const found = new Map<string, string[]>(stored.map((e) => [e.id, []]));
  for (const p of evidenceProblems(stored, trusted)) {
    const kinds = found.get(p.id) ?? [];
    if (!kinds.includes(p.kind)) kinds.push(p.kind);
    found.set(p.id, kinds);
  }
  return new Map(
    [...found].map(([id, kinds]) => [id, kinds.length === 0 ? "signed" : kinds.join(", ")]),
  );
}
