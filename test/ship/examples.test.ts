import { readdir, readFile, rm } from "node:fs/promises";
import { join, relative } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import type { Io } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
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
    const sink = new PassThrough();
    let out = "";
    sink.on("data", (d: Buffer) => (out += d.toString()));
    const io: Io = {
      stdout: sink,
      stderr: sink,
      env,
      cwd: root,
      signal: new AbortController().signal,
    };
    const code = await main(["validate"], io);
    await rm(root, { recursive: true, force: true });
    return { code, out };
  }
  const env = {
    DRILL_HISTORY_URL: "postgres://drill:pw@history:5432/drill",
    SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T0/B0/x",
    SCRUB_SECRET: "0123456789abcdef0123456789abcdef",
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
});
