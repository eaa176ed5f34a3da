/**
 * The signing key: where `drill keygen` puts it and with which modes, and one clear line (exit 2)
 * for every key drill cannot use, without ever printing the key.
 */
import { generateKeyPairSync } from "node:crypto";
import { chmod, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadSigner } from "../../src/evidence/keys.js";
import { runMain } from "../helpers/io.js";
import { makeProject } from "../helpers/project.js";
import { tempDir } from "../helpers/temp.js";

let root: string;
beforeAll(async () => {
  root = await makeProject({
    "config/drill.yaml": "environments:\n  sandbox: { provider: local }\n",
    "drills/small.yaml":
      "name: small\nenvironment: sandbox\nsteps:\n  - restore: { from: { snapshot: latest } }\n",
  });
});

const pem = (type: "ed25519" | "rsa") =>
  generateKeyPairSync(type as "ed25519", type === "rsa" ? ({ modulusLength: 2048 } as never) : {})
    .privateKey.export({ type: "pkcs8", format: "pem" })
    .toString();

describe("drill keygen", () => {
  it("writes the private key 0600 and the public key 0644 under $XDG_CONFIG_HOME/drill", async () => {
    const xdg = await tempDir("xdg");
    const r = await runMain(["keygen"], root, { XDG_CONFIG_HOME: xdg });
    expect(r.code, r.stderr).toBe(0);
    const dir = join(xdg, "drill");
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, "signing-key.pem"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "signing-key.pub.pem"))).mode & 0o777).toBe(0o644);
    const signer = (await loadSigner({ XDG_CONFIG_HOME: xdg }))!;
    expect(r.stdout).toContain(`keyid:        ${signer.keyid}`);
    // The private key is never printed.
    const key = await readFile(join(dir, "signing-key.pem"), "utf8");
    expect(r.stdout).not.toContain(key.split("\n")[1]);

    const again = await runMain(["keygen"], root, { XDG_CONFIG_HOME: xdg });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^drill: .*signing-key.pem exists: .*--force.*\n$/);
    const forced = await runMain(["keygen", "--force"], root, { XDG_CONFIG_HOME: xdg });
    expect(forced.code).toBe(0);
    expect((await loadSigner({ XDG_CONFIG_HOME: xdg }))!.keyid).not.toBe(signer.keyid);
  });

  it("falls back to ~/.config/drill without XDG_CONFIG_HOME", async () => {
    const home = await tempDir("home");
    expect((await runMain(["keygen"], root, { HOME: home })).code).toBe(0);
    expect((await loadSigner({ HOME: home }))!.source).toBe(
      join(home, ".config/drill/signing-key.pem"),
    );
  });
});

describe("a key drill cannot use: one line, exit 2, before anything runs", () => {
  const cases: [string, () => Promise<Record<string, string>>, RegExp][] = [
    [
      "DRILL_SIGNING_KEY that is not a key",
      async () => ({
        DRILL_SIGNING_KEY: "-----BEGIN PRIVATE KEY-----\nbm9wZQ==\n-----END PRIVATE KEY-----",
      }),
      /^drill: DRILL_SIGNING_KEY: not a private key in PEM form \(hint: make one with `drill keygen`\)\n$/,
    ],
    [
      "an RSA key",
      async () => ({ DRILL_SIGNING_KEY: pem("rsa") }),
      /^drill: DRILL_SIGNING_KEY: a rsa key; evidence is signed with ed25519 /,
    ],
    [
      "a key file others can read",
      async () => {
        const xdg = await tempDir("xdg-open");
        await runMain(["keygen"], root, { XDG_CONFIG_HOME: xdg });
        await chmod(join(xdg, "drill/signing-key.pem"), 0o644);
        return { XDG_CONFIG_HOME: xdg };
      },
      /^drill: .*signing-key.pem: a private key readable by others \(mode 644\) cannot vouch for evidence \(hint: chmod 600 .*\)\n$/,
    ],
  ];
  it.each(cases)("%s", async (_what, makeEnv, message) => {
    const env = await makeEnv();
    // verify-evidence reads the public key file first: an open private key is run's problem.
    const commands = env.DRILL_SIGNING_KEY
      ? [["run", "small"], ["verify-evidence"]]
      : [["run", "small"]];
    for (const args of commands) {
      const r = await runMain(args, root, env);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe("");
      if (env.DRILL_SIGNING_KEY)
        expect(r.stderr).not.toContain(env.DRILL_SIGNING_KEY.split("\n")[1]);
    }
  });

  it("a DRILL_SIGNING_KEY that is a good key signs", async () => {
    const signer = (await loadSigner({ DRILL_SIGNING_KEY: pem("ed25519") }))!;
    expect(signer.source).toBe("DRILL_SIGNING_KEY");
    expect(signer.keyid).toMatch(/^[0-9a-f]{64}$/);
  });

  it("--public-key naming no file", async () => {
    const r = await runMain(["verify-evidence", "--public-key", "nope.pem"], root, {});
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("drill: --public-key nope.pem: no such file\n");
  });
});
