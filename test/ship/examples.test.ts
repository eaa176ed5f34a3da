import { readdir, readFile, rm } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { CREATE_TABLES } from "../../src/providers/local/shop-schema.js";
import { runMain } from "../helpers/io.js";
import { columnsOf } from "../helpers/shop.js";
import { makeProject, REPO } from "../helpers/project.js";

/**
 * The projects the deployment examples carry (the Kubernetes ConfigMap; compose's config and
 * drill with the repository's scrubbers) pass `drill validate`, so copying them starts from
 * files drill accepts.
 */
const read = (path: string) => readFile(join(REPO, path), "utf8");

describe("the example projects", () => {
  /** `drill validate` in-process on a project made of these files, with these variables set. */
  async function validate(files: Record<string, string>, env: Record<string, string>) {
    const root = await makeProject(files);
    const r = await runMain(["validate"], root, env);
    await rm(root, { recursive: true, force: true });
    return { code: r.code, out: r.stdout + r.stderr };
  }
  const env = {
    DRILL_HISTORY_URL: "postgres://drill:pw@history:5432/drill",
    SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T0/B0/x",
    SCRUB_SECRET: "0123456789abcdef0123456789abcdef",
    DRILL_METRICS_TOKEN: "fedcba9876543210fedcba9876543210",
  };

  it("the Kubernetes ConfigMap holds a valid project", async () => {
    const docs = parseAllDocuments(await read("deploy/kubernetes/configmap.yaml"));
    const data = (docs[0]!.toJS() as { data: Record<string, string> }).data;
    const files = {
      "config/drill.yaml": data["config.yaml"]!,
      "drills/orders-restore.yaml": data["orders-restore.yaml"]!,
      "scrubbers/orders.yaml": data["orders.yaml"]!,
    };
    expect(await validate(files, env)).toEqual({
      code: 0,
      out: "ok: 1 drill, 1 scrubber, 1 config file\n",
    });
    // The check can fail: the drill names a scrubber the map would no longer hold.
    const { "scrubbers/orders.yaml": _, ...broken } = files;
    const r = await validate(broken, env);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/unknown scrubber "orders"/);
  });

  it("compose's project (its config and drill, the repository's scrubbers) is valid", async () => {
    const compose = join(REPO, "deploy/compose/project");
    const files: Record<string, string> = {
      "scrubbers/shop.yaml": await read("scrubbers/shop.yaml"),
    };
    for (const e of await readdir(compose, { withFileTypes: true, recursive: true }))
      if (e.isFile()) {
        const file = join(e.parentPath, e.name);
        files[relative(compose, file)] = await readFile(file, "utf8");
      }
    expect(await validate(files, env)).toEqual({
      code: 0,
      out: "ok: 1 drill, 1 scrubber, 1 config file\n",
    });
  });

  it("compose's production primary has the sandbox's shop tables, so scrubbers/shop.yaml fits", async () => {
    const compose = columnsOf(await read("deploy/compose/primary/20-shop.sql"));
    expect(Object.keys(compose)).toHaveLength(4);
    expect(compose).toEqual(columnsOf(CREATE_TABLES));
  });
});
