import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { REPO } from "../helpers/project.js";

/** Every TypeScript file under src/, relative to the repository, with its text. */
export function sources(dir = join(REPO, "src")): { file: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    if (!entry.name.endsWith(".ts")) return [];
    return [{ file: relative(REPO, path), text: readFileSync(path, "utf8") }];
  });
}

/** `file:line` of each line matching `pattern`, in files `where` accepts. */
export function offences(
  files: { file: string; text: string }[],
  pattern: RegExp,
  where: (file: string) => boolean = () => true,
): string[] {
  return files
    .filter(({ file }) => where(file))
    .flatMap(({ file, text }) =>
      text.split("\n").flatMap((line, i) => (pattern.test(line) ? [`${file}:${i + 1}`] : [])),
    );
}
