import type { ExitCode } from "../errors.js";
import { inputError } from "../errors.js";
import { trustedKey } from "../evidence/keys.js";
import { verifyDrill } from "../evidence/verify.js";
import { openHistory } from "../history/open.js";
import type { StoredEvidence } from "../history/store.js";
import { writeLine, type Io } from "./io.js";
import { loadOrReport } from "./project.js";

/**
 * `drill verify-evidence [drill…]`: every stored record's signature, digest and place in its
 * drill's chain. One line per problem and exit 1, or one summary line and exit 0.
 */
export async function verifyEvidenceCommand(
  drills: string[],
  flags: { publicKey?: string },
  io: Io,
): Promise<ExitCode> {
  // Only config is needed: the history of a drill deleted since is evidence too.
  const project = await loadOrReport(io, []);
  if (!project) return 2;
  const trusted = await trustedKey(io.env, flags.publicKey);
  const store = openHistory(project);
  try {
    const byDrill = new Map<string, StoredEvidence[]>(drills.map((d) => [d, []]));
    const everything = drills.length === 0;
    for (const e of everything ? await store.evidence() : await allOf(store, drills)) {
      byDrill.set(e.drill, [...(byDrill.get(e.drill) ?? []), e]);
    }
    const signed = [...byDrill.values()].flat().some((e) => e.envelope !== undefined);
    if (signed && !trusted)
      throw inputError(
        "NO_PUBLIC_KEY",
        "records are signed, but there is no public key to check them with",
        "pass --public-key FILE (the signing-key.pub.pem `drill keygen` wrote), or set DRILL_SIGNING_KEY",
      );
    const problems: string[] = [];
    for (const [drill, stored] of [...byDrill].sort(([a], [b]) => a.localeCompare(b))) {
      if (stored.length === 0) problems.push(`${drill}: no records`);
      else problems.push(...verifyDrill(stored, trusted));
    }
    const records = [...byDrill.values()].reduce((n, s) => n + s.length, 0);
    const what = `${records} record${records === 1 ? "" : "s"} of ${byDrill.size} drill${byDrill.size === 1 ? "" : "s"}`;
    if (problems.length > 0) {
      for (const line of problems) writeLine(io.stdout, line);
      writeLine(
        io.stderr,
        `evidence NOT intact: ${problems.length} problem${problems.length === 1 ? "" : "s"} in ${what}`,
      );
      return 1;
    }
    const key = trusted ? `, signed by key ${trusted.keyid.slice(0, 16)}… (${trusted.source})` : "";
    writeLine(io.stdout, `evidence intact: ${what}${key}, chains unbroken`);
    return 0;
  } finally {
    await store.close().catch(() => {});
  }
}

async function allOf(
  store: ReturnType<typeof openHistory>,
  drills: string[],
): Promise<StoredEvidence[]> {
  return (await Promise.all([...new Set(drills)].map((d) => store.evidence(d)))).flat();
}
