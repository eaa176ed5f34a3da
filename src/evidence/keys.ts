import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from "node:crypto";
import { promises as fs } from "node:fs";
import { join } from "node:path";
import { inputError, platformError } from "../errors.js";
import { privateDir, writeFileAtomic } from "../private-files.js";
import { keyidOf, keySigner, type Signer } from "./signer.js";

type Env = Record<string, string | undefined>;

export const KEY_FILE = "signing-key.pem";
export const PUBLIC_KEY_FILE = "signing-key.pub.pem";
export const KEY_ENV = "DRILL_SIGNING_KEY";

/** `$XDG_CONFIG_HOME/drill`, else `~/.config/drill`; undefined without either variable. */
export function configDir(env: Env): string | undefined {
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, "drill");
  return env.HOME ? join(env.HOME, ".config", "drill") : undefined;
}

/** Write a new ed25519 key pair: the private key 0600 (PKCS#8 PEM), the public key 0644 (SPKI PEM). */
export async function keygen(env: Env, opts: { force?: boolean } = {}) {
  const dir = configDir(env);
  if (!dir)
    throw inputError(
      "NO_CONFIG_DIR",
      "cannot tell where to keep the key: neither XDG_CONFIG_HOME nor HOME is set",
    );
  const privateFile = join(dir, KEY_FILE);
  const publicFile = join(dir, PUBLIC_KEY_FILE);
  if (!opts.force && (await exists(privateFile)))
    throw inputError(
      "KEY_EXISTS",
      `${privateFile} exists: records it signed verify only with its public key`,
      "keep it; or pass --force to replace it (keep the old signing-key.pub.pem to verify older records)",
    );
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  await privateDir(dir);
  await writeFileAtomic(privateFile, privateKey.export({ type: "pkcs8", format: "pem" }) as string);
  await writeFileAtomic(
    publicFile,
    publicKey.export({ type: "spki", format: "pem" }) as string,
    0o644,
  );
  return { privateFile, publicFile, keyid: keyidOf(publicKey) };
}

/**
 * The key evidence is signed with: DRILL_SIGNING_KEY (the PEM itself), else the key file in the
 * config folder; undefined when there is neither (records are then chained but unsigned).
 */
export async function loadSigner(env: Env): Promise<Signer | undefined> {
  const fromEnv = env[KEY_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== "") {
    const key = privateKeyFrom(fromEnv, KEY_ENV);
    return keySigner(key, createPublicKey(key), KEY_ENV);
  }
  const dir = configDir(env);
  if (!dir) return undefined;
  const file = join(dir, KEY_FILE);
  const text = await readIfThere(file);
  if (text === undefined) return undefined;
  const mode = (await fs.stat(file)).mode & 0o777;
  if ((mode & 0o077) !== 0)
    throw inputError(
      "KEY_FILE_OPEN",
      `${file}: a private key readable by others (mode ${mode.toString(8)}) cannot vouch for evidence`,
      `chmod 600 ${file}`,
    );
  const key = privateKeyFrom(text, file);
  return keySigner(key, createPublicKey(key), file);
}

/**
 * The public key records are checked against: `--public-key FILE`, else the signing key's, else
 * the public key file beside it. Undefined when there is none.
 */
export async function trustedKey(
  env: Env,
  file?: string,
): Promise<{ key: KeyObject; keyid: string; source: string } | undefined> {
  if (file !== undefined) {
    const text = await readIfThere(file);
    if (text === undefined) throw inputError("NO_PUBLIC_KEY", `--public-key ${file}: no such file`);
    const key = publicKeyFrom(text, file);
    return { key, keyid: keyidOf(key), source: file };
  }
  const fromEnv = env[KEY_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== "") {
    const key = createPublicKey(privateKeyFrom(fromEnv, KEY_ENV));
    return { key, keyid: keyidOf(key), source: KEY_ENV };
  }
  const dir = configDir(env);
  if (!dir) return undefined;
  // The public file first: it is what an auditor is handed; the private key only as a fallback.
  for (const name of [PUBLIC_KEY_FILE, KEY_FILE]) {
    const text = await readIfThere(join(dir, name));
    if (text === undefined) continue;
    const where = join(dir, name);
    const key =
      name === KEY_FILE ? createPublicKey(privateKeyFrom(text, where)) : publicKeyFrom(text, where);
    return { key, keyid: keyidOf(key), source: where };
  }
  return undefined;
}

function privateKeyFrom(pem: string, where: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    // The message never quotes the value: it is a secret.
    throw inputError(
      "BAD_SIGNING_KEY",
      `${where}: not a private key in PEM form`,
      "make one with `drill keygen`",
    );
  }
  if (key.asymmetricKeyType !== "ed25519")
    throw inputError(
      "BAD_SIGNING_KEY",
      `${where}: a ${key.asymmetricKeyType} key; evidence is signed with ed25519`,
      "make one with `drill keygen`",
    );
  return key;
}

function publicKeyFrom(pem: string, where: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw inputError(
      "BAD_PUBLIC_KEY",
      `${where}: not a public key in PEM form`,
      "pass the signing-key.pub.pem `drill keygen` wrote",
    );
  }
  if (key.asymmetricKeyType !== "ed25519")
    throw inputError(
      "BAD_PUBLIC_KEY",
      `${where}: a ${key.asymmetricKeyType} key; evidence is signed with ed25519`,
    );
  return key;
}

async function readIfThere(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    throw platformError(
      "KEY_UNREADABLE",
      `cannot read ${file}: ${code ?? String(e)}`,
      "check the file's owner and mode",
    );
  }
}

const exists = (file: string) =>
  fs.access(file).then(
    () => true,
    () => false,
  );
