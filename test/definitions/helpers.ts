import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/definitions");

export const VALID_DRILL = `name: quickstart
environment: sandbox
objectives: { rto: 5m, rpo: 26h }
steps:
  - restore: { from: { snapshot: latest }, newestData: orders.created_at }
  - verify:
      checks:
        - rowCount: { table: orders, min: 1000 }
        - sql: { name: no negative payments, query: "select count(*) from payments where amount < 0", expect: 0 }
`;
export const VALID_CONFIG = "environments: { sandbox: { provider: local } }\n";

const made: string[] = [];

/** A throw-away project: `{ "drills/x.yaml": "…" }` written under a fresh temp dir. */
export async function project(files: Record<string, string | Uint8Array>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "drill-defs-"));
  made.push(root);
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), content);
  }
  return root;
}

export async function removeProjects() {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export { fakeIo } from "../helpers/io.js";
