import { rm } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { FileHistoryStore } from "../../src/history/file-store.js";
import { makeProject, spawnDrill } from "../helpers/project.js";
import { join } from "node:path";
import { processesNaming } from "../helpers/processes.js";

let root: string | undefined;
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe("drill daemon and SIGTERM", () => {
  it("aborts the running drill, lets its cleanup finish, records it interrupted and exits 0", async () => {
    root = await makeProject({
      "config/drill.yaml":
        "environments:\n  sandbox: { provider: local, scale: 0.02 }\ndaemon: { shutdownGrace: 2m }\n",
      // Every second: due at once, and every later slot overlaps the run.
      "drills/slow.yaml": [
        "name: slow",
        "environment: sandbox",
        'schedule: "* * * * * *"',
        "steps:",
        "  - restore: { from: { snapshot: latest } }",
        "  - verify:",
        "      checks:",
        "        - sql: { name: a long check, query: select count(*) from (select pg_sleep(60)) s, expect: 1 }",
      ].join("\n"),
    });
    const child = spawnDrill(["daemon", "--port", "0", "--host", "127.0.0.1"], {
      cwd: root,
      env: { DRILL_LOG_LEVEL: "info" },
    });
    let stderr = "";
    let sent = false;
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (!sent && /"step":"verify","msg":"step started"/.test(stderr)) {
        sent = true;
        child.kill("SIGTERM");
      }
    });
    const code = await new Promise<number | null>((r) => child.on("close", r));
    expect(sent).toBe(true);
    expect(code, stderr.slice(-3000)).toBe(0);
    const history = await new FileHistoryStore(join(root, ".drill/history"), root).list("slow");
    // Every slot the run overlapped is in the history as skipped; the run itself once.
    const runs = history.filter((r) => r.outcome !== "skipped");
    expect(runs.map((r) => r.outcome)).toEqual(["interrupted"]);
    expect(history.length).toBeGreaterThan(1);
    expect(runs[0]!.steps.map((s) => `${s.name} ${s.outcome}`)).toEqual([
      "restore passed",
      "verify interrupted",
      "cleanup passed",
    ]);
    expect(stderr).toContain("run skipped: the drill's previous run overlaps this slot");
    expect(processesNaming(root)).toEqual([]);
  }, 120_000);
});
