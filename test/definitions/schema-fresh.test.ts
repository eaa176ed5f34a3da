import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { jsonSchemas, SCHEMA_KINDS, schemaText } from "../../src/definitions/json-schema.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

describe("committed JSON Schemas", () => {
  const generated = jsonSchemas();
  for (const kind of SCHEMA_KINDS) {
    it(`schema/${kind}.schema.json matches the code`, async () => {
      const committed = await readFile(join(ROOT, "schema", `${kind}.schema.json`), "utf8").catch(
        () => "(missing)",
      );
      const fresh = committed === schemaText(generated[kind]);
      expect(
        fresh,
        `schema/${kind}.schema.json is out of date: run \`npm run build && npm run schema\``,
      ).toBe(true);
    });
  }
});
