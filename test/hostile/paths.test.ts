/**
 * Paths in files cannot escape the project. Names (drills, scrubbers, environments, channels)
 * are plain by schema; a restore's relative `archive:` may not climb out of the project. An
 * absolute archive path is the team's explicit choice and stays allowed, as does s3://.
 */
import { describe, expect, it } from "vitest";
import { validateCommand } from "../../src/cli/validate.js";
import { climbsOut, sourceOf } from "../../src/steps/restore.js";
import { fakeIo } from "../helpers/io.js";
import { makeProject } from "../helpers/project.js";
import { BASE } from "./mutate.js";

const ARCHIVE_MESSAGE =
  'a relative archive path must stay inside the project (no ".." out of it); write an absolute path to restore a dump kept elsewhere';

async function validate(files: Record<string, string>) {
  const root = await makeProject({
    "config/drill.yaml": BASE.config,
    "scrubbers/shop.yaml": BASE.scrubber,
    ...files,
  });
  const f = fakeIo(root);
  const code = await validateCommand([], f.io);
  return { code, err: f.err(), out: f.out(), root };
}

const archiveDrill = (archive: string) => `name: restore-dump
environment: sandbox
steps:
  - restore: { from: { archive: ${JSON.stringify(archive)} } }
`;

describe("names cannot be paths", () => {
  it("a scrubber name ../../etc/passwd is refused", async () => {
    const r = await validate({
      "drills/quickstart.yaml": BASE.drill.replace("scrubber: shop", "scrubber: ../../etc/passwd"),
    });
    expect(r.code).toBe(2);
    // Located on the line the name is written on, wherever that is in the quickstart.
    const line = BASE.drill.split("\n").findIndex((l) => l.includes("scrubber: shop")) + 1;
    expect(r.err).toBe(
      `drills/quickstart.yaml:${line}:17 steps[1].scrub.scrubber: expected lowercase letters, digits, '-' or '_' (at most 63 characters)\n`,
    );
  });

  it("a drill name ../../etc/passwd is refused", async () => {
    const r = await validate({
      "drills/quickstart.yaml": BASE.drill.replace("name: quickstart", "name: ../../etc/passwd"),
    });
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      "drills/quickstart.yaml:4:7 name: expected lowercase letters, digits, '-' or '_' (at most 63 characters)\n",
    );
  });

  it("an environment or channel named like a path is refused", async () => {
    const r = await validate({
      "config/drill.yaml": `${BASE.config}channels:\n  "../x": { webhook: { url: "http://127.0.0.1:1/" } }\n`,
    });
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `config/drill.yaml:14:3 channels["../x"]: invalid name "../x": expected lowercase letters, digits, '-' or '_' (at most 63 characters)\n`,
    );
  });
});

describe("archive paths", () => {
  it.each(["../../etc/passwd", "dumps/../../outside.dump", "..", "./../x.dump", "..\\..\\x.dump"])(
    "a relative path that climbs out (%s) is refused with exit 2",
    async (archive) => {
      const r = await validate({ "drills/restore-dump.yaml": archiveDrill(archive) });
      expect(r.code).toBe(2);
      expect(r.err).toBe(
        `drills/restore-dump.yaml:4:33 steps[0].restore.from.archive: ${ARCHIVE_MESSAGE}\n`,
      );
    },
  );

  it.each([
    "dumps/shop.dump",
    "./dumps/shop.dump",
    "dumps/../shop.dump",
    "/var/backups/shop.dump",
    "s3://bucket/shop.dump",
    "s3://bucket/prefix/",
  ])("%s is allowed", async (archive) => {
    const r = await validate({ "drills/restore-dump.yaml": archiveDrill(archive) });
    expect([r.code, r.err]).toEqual([0, ""]);
  });

  it("climbsOut and sourceOf agree: what passes resolves inside the project or is absolute", () => {
    expect(climbsOut("a/../../b")).toBe(true);
    expect(climbsOut("a/../b")).toBe(false);
    expect(climbsOut("/abs/../../b")).toBe(false);
    const resolve = (p: string) => `/project/${p}`;
    expect(sourceOf({ from: { archive: "dumps/x.dump" } }, resolve)).toEqual({
      kind: "archive",
      path: "/project/dumps/x.dump",
    });
  });
});
