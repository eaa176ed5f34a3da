/**
 * Evidence on every store: records chained and signed through `sealAndSave`, then checked by
 * `drill verify-evidence` (in-process) before and after someone with write access to the store
 * edits a record, deletes one, re-signs one with their own key, and strips a signature.
 */
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { canonicalRecord, sha256Hex } from "../../src/evidence/canonical.js";
import type { PgHistoryStore } from "../../src/history/pg-store.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envelopeFor, sealAndSave } from "../../src/evidence/seal.js";
import { loadSigner } from "../../src/evidence/keys.js";
import { keySigner, type Signer } from "../../src/evidence/signer.js";
import type { RunRecord } from "../../src/types.js";
import { record } from "../history/helpers.js";
import { runMain } from "../helpers/io.js";
import { tempDir } from "../helpers/temp.js";
import { STORES, type StoreUnderTest } from "./stores.js";

describe.each(Object.keys(STORES))("evidence in the %s store", (kind) => {
  let s: StoreUnderTest;
  let env: Record<string, string>;
  let signer: Signer;
  const orders = [1, 2, 3, 4, 5, 6].map((m) => record("orders", m));
  const billing = [7, 8].map((m) => record("billing", m, "failed"));
  const stored = new Map<string, string>();

  beforeAll(async () => {
    s = await STORES[kind]!();
    env = { ...s.env, XDG_CONFIG_HOME: await tempDir("xdg"), DRILL_LOG_LEVEL: "error" };
    const keygen = await runMain(["keygen"], s.root, env);
    expect(keygen.code, keygen.stderr).toBe(0);
    signer = (await loadSigner(env))!;
    for (const r of [...orders, ...billing]) {
      await sealAndSave(s.store, r, signer);
      stored.set(r.id, (await s.store.evidence(r.drill)).find((e) => e.id === r.id)!.bytes!);
    }
  }, 60_000);
  afterAll(async () => s?.stop());

  const verify = (...args: string[]) => runMain(["verify-evidence", ...args], s.root, env);

  it("chains each drill's records from 1, each previous the digest of the one before", () => {
    expect(orders.map((r) => r.chain!.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(billing.map((r) => r.chain!.sequence)).toEqual([1, 2]);
    expect(orders[0]!.chain!.previous).toBeNull();
    for (const r of orders.slice(1)) expect(r.chain!.previous).toMatch(/^[0-9a-f]{64}$/);
  });

  it.runIf(kind === "postgres")(
    "keeps JSONB whose `jq -cjS` form is the signed bytes (the README's psql | jq | sha256sum)",
    async () => {
      const pg = s.store as PgHistoryStore;
      const [row] = await pg.query<{ text: string }>(
        "select record::text as text from drill_runs where id = $1",
        [orders[1]!.id],
      );
      const jq = spawnSync("jq", ["-cjS", "."], { input: row!.text, encoding: "utf8" });
      expect(sha256Hex(jq.stdout)).toBe(sha256Hex(canonicalRecord(orders[1]!)));
    },
  );

  it("verifies untouched evidence: exit 0 and one line", async () => {
    const r = await verify();
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(
      new RegExp(
        `^evidence intact: 8 records of 2 drills, signed by key ${signer.keyid.slice(0, 16)}… \\(.*signing-key.pub.pem\\), chains unbroken\\n$`,
      ),
    );
    expect(r.code).toBe(0);
  });

  it("names an edited, a missing, a foreign-signed and an unsigned record; exit 1", async () => {
    const [, o2, o3, o4, o5, o6] = orders as [
      RunRecord,
      RunRecord,
      RunRecord,
      RunRecord,
      RunRecord,
      RunRecord,
    ];
    // One byte changed.
    const text = stored.get(o2.id)!;
    await s.tamper.rewrite(
      "orders",
      o2.id,
      text.replace('"outcome":"passed"', '"outcome":"passeD"'),
    );
    await s.tamper.drop("orders", o4.id);
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const mallory = keySigner(privateKey, publicKey, "mallory");
    await s.tamper.envelope("orders", o5.id, JSON.stringify(await envelopeFor(o5, mallory)));
    await s.tamper.envelope("orders", o6.id, undefined);

    const r = await verify();
    const at = async (id: string) =>
      (await s.store.evidence("orders")).find((e) => e.id === id)!.storedAt;
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${esc(await at(o2.id))}: edited record: its digest is [0-9a-f]{16}…, the signed one [0-9a-f]{16}…$`,
        ),
      ),
      `${await at(o5.id)}: signed by another key (keyid ${mallory.keyid.slice(0, 16)}…, trusted ${signer.keyid.slice(0, 16)}…)`,
      `${await at(o6.id)}: unsigned record (no .intoto.jsonl beside it)`,
      `${await at(o3.id)}: chain broken: its previous is not the digest of ${o2.id}`,
      `orders: missing record: sequence 4 (after ${o3.id}, before ${o5.id})`,
    ]);
    expect(r.stderr).toBe("evidence NOT intact: 5 problems in 7 records of 2 drills\n");
    expect(r.code).toBe(1);
    // Only the drill asked about; the other one is intact.
    expect((await verify("billing")).code).toBe(0);
  });

  it("refuses a record re-signed whole by another key when given the team's public key", async () => {
    const other = { XDG_CONFIG_HOME: await tempDir("xdg-other") };
    expect((await runMain(["keygen"], s.root, other)).code).toBe(0);
    const r = await runMain(
      [
        "verify-evidence",
        "billing",
        "--public-key",
        `${other.XDG_CONFIG_HOME}/drill/signing-key.pub.pem`,
      ],
      s.root,
      env,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^.*billing.*: signed by another key \(keyid [0-9a-f]{16}…, trusted [0-9a-f]{16}…\)$/m,
    );
  });
});

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
