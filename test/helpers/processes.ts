import { spawnSync } from "node:child_process";

/**
 * Processes whose command line names `text` (a project, data or run folder, a run id): none
 * should outlive a run. A postmaster is started with `-D <data folder>`, and a client tool still
 * busy with a folder names it too. One line each, `pid args`.
 */
export function processesNaming(text: string): string[] {
  const out = spawnSync("ps", ["-eww", "-o", "pid=,args="], { encoding: "utf8" }).stdout;
  return out
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.includes(text));
}
