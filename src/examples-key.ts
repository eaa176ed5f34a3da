import { randomBytes } from "node:crypto";
import { link, lstat, mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { platformError } from "./errors.js";
import { statePaths } from "./state/layout.js";

const HINT =
  "the key hashes examples in run records; delete the file and the next run makes a new one (0600)";

/**
 * The project's key for example hashes (see redact.ts): `.drill/examples.key`, 32 random bytes
 * made on the first run that hashes an example, readable by drill's user only.
 *
 * Why not the scrub secret: a drill may have no scrub step, or scrubbers with different secrets,
 * and the same value would then hash differently from drill to drill. Why on the runner: the
 * records go to the history store (maybe S3 or PostgreSQL) and the channels; the key never
 * does, so a record read there cannot be matched against guessed values. Made on first use,
 * not when the project loads, so `drill validate` or `plan` writes nothing.
 */
export async function projectExamplesKey(root: string): Promise<Buffer> {
  const file = statePaths(root).examplesKey;
  const dir = dirname(file);
  const existing = await readKey(file);
  if (existing) return existing;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  await writeFile(tmp, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
  try {
    // A link does not replace: when two runs make one at once, both use the first.
    await link(tmp, file).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "EEXIST") throw e;
    });
  } finally {
    await unlink(tmp).catch(() => {});
  }
  return (await readKey(file))!;
}

async function readKey(file: string): Promise<Buffer | undefined> {
  const st = await lstat(file).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw e;
  });
  if (st === undefined) return undefined;
  if (!st.isFile() || (st.mode & 0o077) !== 0) {
    throw platformError(
      "EXAMPLES_KEY_UNSAFE",
      `${file}: must be a regular file only its owner can read (mode 0600, not a link)`,
      HINT,
    );
  }
  const hex = (await readFile(file, "utf8")).trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw platformError("EXAMPLES_KEY_INVALID", `${file}: expected 64 hex digits`, HINT);
  }
  return Buffer.from(hex, "hex");
}
