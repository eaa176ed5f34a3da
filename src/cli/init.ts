import { mkdir, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { writeLine, type Io } from "./io.js";
import { EXAMPLE_DRILL_NAME, EXAMPLE_FILES } from "./templates/index.js";

export interface InitFlags {
  force?: boolean;
}

/**
 * `drill init`: scaffold drills/, scrubbers/ and config/ with a commented example of each that
 * validates and runs on the local sandbox as written. Without --force it refuses before writing
 * anything when one of its files exists: half a scaffold beside a user's own files helps nobody.
 */
export async function initCommand(flags: InitFlags, io: Io): Promise<0 | 2> {
  const existing: string[] = [];
  for (const file of EXAMPLE_FILES) {
    if (await stat(join(io.cwd, file.path)).catch(() => undefined)) existing.push(file.path);
  }
  if (existing.length > 0 && !flags.force) {
    const verb = existing.length === 1 ? "exists" : "exist";
    writeLine(
      io.stderr,
      `drill init: ${existing.join(", ")} already ${verb}; nothing was written (--force overwrites)`,
    );
    return 2;
  }

  const width = Math.max(...EXAMPLE_FILES.map((f) => f.path.length));
  for (const file of EXAMPLE_FILES) {
    const abs = join(io.cwd, file.path);
    try {
      await mkdir(dirname(abs), { recursive: true });
      // `wx` closes the race with a file created since the check above.
      await writeFile(abs, file.text, { flag: flags.force ? "w" : "wx" });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const reason = err.code === "EEXIST" ? "it already exists" : err.message;
      writeLine(io.stderr, `drill init: cannot write ${file.path}: ${reason}`);
      return 2;
    }
    writeLine(io.stdout, `wrote ${file.path.padEnd(width)}  ${file.what}`);
  }

  const next: [string, string][] = [
    ["drill validate", "check the files (after every edit too)"],
    [`drill plan ${EXAMPLE_DRILL_NAME}`, "what a run would do; creates nothing"],
    [`drill run ${EXAMPLE_DRILL_NAME}`, "run the drill on this machine; no AWS account needed"],
  ];
  const commandWidth = Math.max(...next.map(([c]) => c.length));
  writeLine(io.stdout);
  writeLine(io.stdout, "next:");
  for (const [command, why] of next)
    writeLine(io.stdout, `  ${command.padEnd(commandWidth)}  ${why}`);
  return 0;
}
