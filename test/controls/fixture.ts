import { generateKeyPairSync } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadSigner } from "../../src/evidence/keys.js";
import { sealAndSave } from "../../src/evidence/seal.js";
import { FileHistoryStore } from "../../src/history/file-store.js";
import { newRunId } from "../../src/run-id.js";
import { RECORD_SCHEMA_VERSION, type Outcome, type RunRecord } from "../../src/types.js";
import { makeProject } from "../helpers/project.js";

/** Text that would break a page or a table if it went in unescaped. */
export const HOSTILE = "</td><script>alert(1)</script> | <b>bold</b>";

const DAY = 86_400_000;

/** A run record as the engine stores one: RTO and RPO beside their objectives. */
export function runAt(
  drill: string,
  at: number,
  outcome: Outcome = "passed",
  opts: { rtoMs?: number; finding?: string } = {},
): RunRecord {
  const rto = opts.rtoMs ?? 20 * 60_000;
  return {
    schemaVersion: RECORD_SCHEMA_VERSION,
    id: newRunId(drill, at),
    drill,
    environment: "sandbox",
    provider: "local",
    startedAt: new Date(at).toISOString(),
    finishedAt: new Date(at + rto).toISOString(),
    durationMs: rto,
    outcome,
    steps: [],
    measurements: {
      rtoMs: { value: rto, objective: 45 * 60_000, met: rto <= 45 * 60_000 },
      rpoMs: { value: 3 * 3_600_000, objective: 26 * 3_600_000, met: true },
    },
    findings: outcome === "passed" ? [] : [opts.finding ?? "verify: rowCount orders: measured 0"],
  };
}

const drillFile = (name: string, extra: string) => `name: ${name}
environment: sandbox
${extra}
objectives: { rto: 45m, rpo: 26h }
steps:
  - restore: { from: { snapshot: latest } }
  - verify:
      checks:
        - rowCount: { table: orders, min: 1000 }
`;

/** `YYYY-MM` of the month `back` whole months before the one `now` is in. */
export const monthBack = (now: number, back: number): string => {
  const d = new Date(now);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, 1))
    .toISOString()
    .slice(0, 7);
};

export interface ShowProject {
  root: string;
  env: Record<string, string>;
  /** The month of orders-restore with only failed runs. */
  failedMonth: string;
  /** The billing-restore run whose stored record was edited after it was signed. */
  tampered: RunRecord;
  records: RunRecord[];
}

/**
 * Three drills with overlapping controls (two with a schedule) and a year of runs before `now`,
 * stored through `sealAndSave` with a real key: orders-restore weekly, every run of one month
 * failed; billing-restore monthly, one record edited afterwards; failover-check unscheduled.
 */
export async function showProject(now: number): Promise<ShowProject> {
  const root = await makeProject({
    "config/drill.yaml":
      "environments: { sandbox: { provider: local } }\nhistory: { store: file, path: .drill/history }\n",
    "drills/orders-restore.yaml": drillFile(
      "orders-restore",
      `description: ${JSON.stringify(`restores orders ${HOSTILE}`)}\nschedule: "0 4 * * 1"\ncontrols: [ISO27001-A.8.13, ISO27001-A.5.30, SOC2-A1.3, DORA-12, HIPAA-164.308a7iiD]`,
    ),
    "drills/billing-restore.yaml": drillFile(
      "billing-restore",
      'schedule: "0 5 3 * *"\ncontrols: [ISO27001-A.8.13, NIST-CP-9.1, SOC2-A1.2]',
    ),
    "drills/failover-check.yaml": drillFile(
      "failover-check",
      "controls: [ISO27001-A.8.14, SOC2-A1.3]",
    ),
  });
  const pem = generateKeyPairSync("ed25519")
    .privateKey.export({ type: "pkcs8", format: "pem" })
    .toString();
  const env = { DRILL_SIGNING_KEY: pem };
  const signer = await loadSigner(env);
  const store = new FileHistoryStore(join(root, ".drill/history"), root);
  const failedMonth = monthBack(now, 4);
  const records: RunRecord[] = [];
  const start = now - 365 * DAY;
  for (let t = start + DAY; t < now; t += 7 * DAY) {
    const failed = new Date(t).toISOString().startsWith(failedMonth);
    const finding = `verify: check ${HOSTILE} failed`;
    records.push(runAt("orders-restore", t, failed ? "failed" : "passed", { finding }));
  }
  for (let back = 12; back >= 0; back--) {
    const at = Date.parse(`${monthBack(now, back)}-03T05:00:00Z`);
    if (at < now) records.push(runAt("billing-restore", at, "passed", { rtoMs: 30 * 60_000 }));
  }
  // One run over its RTO objective.
  records.push(runAt("billing-restore", now - 20 * DAY, "failed", { rtoMs: 50 * 60_000 }));
  for (const back of [9, 5, 1])
    records.push(runAt("failover-check", Date.parse(`${monthBack(now, back)}-10T10:00:00Z`)));
  records.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  for (const r of records) await sealAndSave(store, r, signer);
  const tampered = records.filter((r) => r.drill === "billing-restore")[3]!;
  const file = join(root, ".drill/history/billing-restore", `${tampered.id}.json`);
  const text = await readFile(file, "utf8");
  // Someone makes a slow restore look fast.
  await writeFile(file, text.replace('"value":1800000', '"value":600000'));
  return { root, env, failedMonth, tampered, records };
}
