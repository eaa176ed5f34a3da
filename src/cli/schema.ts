import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  jsonSchemas,
  SCHEMA_KINDS,
  schemaText,
  type SchemaKind,
} from "../definitions/json-schema.js";
import { writeLine, type Io } from "./io.js";

/**
 * `drill schema`: the JSON Schema of each file kind, for editors. Printed as one JSON object
 * keyed by kind (or the one schema with `kind`); `write` refreshes the committed schema/ files.
 */
export async function schemaCommand(
  io: Io,
  opts: { write?: boolean; kind?: SchemaKind },
): Promise<0> {
  const schemas = jsonSchemas();
  const kinds = opts.kind ? [opts.kind] : SCHEMA_KINDS;
  if (opts.write) {
    const dir = join(io.cwd, "schema");
    await mkdir(dir, { recursive: true });
    for (const kind of kinds) {
      const file = join(dir, `${kind}.schema.json`);
      await writeFile(file, schemaText(schemas[kind]));
      writeLine(io.stdout, `wrote schema/${kind}.schema.json`);
    }
    return 0;
  }
  const out = opts.kind ? schemas[opts.kind] : schemas;
  io.stdout.write(schemaText(out));
  return 0;
}
