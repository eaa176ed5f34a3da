/**
 * An auditor needs no drill: the README's shell block (openssl, jq, sha256sum) checks a record
 * the file store wrote, and openssl accepts the PAE and signature written out by the test.
 */
import { execFile } from "node:child_process";
import { copyFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { canonicalJson, canonicalRecord, sha256Hex } from "../../src/evidence/canonical.js";
import { pae, PAYLOAD_TYPE, type Envelope } from "../../src/evidence/dsse.js";
import { loadSigner } from "../../src/evidence/keys.js";
import { sealAndSave } from "../../src/evidence/seal.js";
import { FileHistoryStore } from "../../src/history/file-store.js";
import { REPO } from "../helpers/project.js";
import { runMain } from "../helpers/io.js";
import { tempDir } from "../helpers/temp.js";
import { record } from "../history/helpers.js";

const run = promisify(execFile);
let root: string;
let env: Record<string, string>;
const first = record("orders", 1);
const second = record("orders", 2, "failed");

beforeAll(async () => {
  root = await tempDir("audit");
  env = { XDG_CONFIG_HOME: join(root, "xdg"), DRILL_LOG_LEVEL: "error" };
  expect((await runMain(["keygen"], root, env)).code).toBe(0);
  await copyFile(join(root, "xdg/drill/signing-key.pub.pem"), join(root, "pub.pem"));
  const store = new FileHistoryStore(join(root, ".drill/history"), root);
  // A number JSON writes with a fraction, text with escapes: the canonical form must keep them.
  second.measurements.scrubRowsPerSecond = { value: 183456.25, objective: null, met: null };
  second.findings.push('verify: "quoted"\ttab, ünïcode, \u0001');
  for (const r of [first, second]) await sealAndSave(store, r, await loadSigner(env));
});

/** The README's evidence-audit block, pointed at this test's record. */
async function readmeBlock(h: string, id: string): Promise<string> {
  const readme = await readFile(join(REPO, "README.md"), "utf8");
  const at = readme.indexOf("<!-- evidence-audit");
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at))![1]!;
  expect(block).toMatch(/^h=.*\nrun=.*\n/);
  return block.replace(/^h=.*\n/, `h=${h}\n`).replace(/^run=.*\n/m, `run=${id}\n`);
}

describe("an auditor without drill", () => {
  it("runs the README's commands: signature verified, digest, keyid and chain agree", async () => {
    const script = await readmeBlock(".drill/history/orders", second.id);
    const { stdout } = await run("bash", ["-euo", "pipefail", "-c", script], { cwd: root });
    const [verified, signed, digest, keyid, derHash, chain] = stdout.trimEnd().split("\n");
    expect(verified).toBe("Signature Verified Successfully");
    expect(signed).toBe(digest);
    expect(digest).toBe(sha256Hex(canonicalRecord(second)));
    expect(keyid).toBe(derHash);
    const firstBytes = await readFile(join(root, ".drill/history/orders", `${first.id}.json`));
    expect(JSON.parse(chain!)).toEqual({ previous: sha256Hex(firstBytes), sequence: 2 });
  });

  it("openssl accepts the PAE and signature written to files, and refuses a changed byte", async () => {
    const text = await readFile(
      join(root, ".drill/history/orders", `${first.id}.intoto.jsonl`),
      "utf8",
    );
    const envelope = JSON.parse(text) as Envelope;
    expect(envelope.payloadType).toBe(PAYLOAD_TYPE);
    const signed = pae(envelope.payloadType, Buffer.from(envelope.payload, "base64"));
    await writeFile(join(root, "pae.bin"), signed);
    await writeFile(join(root, "sig.bin"), Buffer.from(envelope.signatures[0]!.sig, "base64"));
    const verify = ["pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin"];
    const ok = await run("openssl", [...verify, "-in", "pae.bin", "-sigfile", "sig.bin"], {
      cwd: root,
    });
    expect(ok.stdout.trim()).toBe("Signature Verified Successfully");
    signed.writeUInt8(signed.at(-2)! ^ 1, signed.length - 2);
    await writeFile(join(root, "pae.bin"), signed);
    await expect(
      run("openssl", [...verify, "-in", "pae.bin", "-sigfile", "sig.bin"], { cwd: root }),
    ).rejects.toMatchObject({
      code: 1,
      stdout: expect.stringContaining("Signature Verification Failure"),
    });
  });

  it("the stored file is RFC 8785: sorted keys, no whitespace, jq -cjS writes the same bytes", async () => {
    const file = join(root, ".drill/history/orders", `${second.id}.json`);
    const bytes = await readFile(file, "utf8");
    expect(bytes).toBe(canonicalJson(JSON.parse(bytes)));
    expect(bytes.startsWith('{"chain":{"previous":"')).toBe(true);
    const { stdout } = await run("jq", ["-cjS", ".", file]);
    expect(stdout).toBe(bytes);
  });
});

describe("canonical JSON", () => {
  it("writes what RFC 8785 writes for its edge cases", () => {
    expect(
      canonicalJson({ b: [1e21, 1e-7, -0, 0.1, "€\n\u2028"], a: null, "\u00e9": true, A: 1 }),
    ).toBe('{"A":1,"a":null,"b":[1e+21,1e-7,0,0.1,"€\\n\u2028"],"é":true}');
    expect(canonicalJson({ x: undefined, y: [undefined] })).toBe('{"y":[null]}');
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/NaN/);
  });
});
