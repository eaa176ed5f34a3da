import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { format, resolveConfig } from "prettier";
import {
  catalogSource,
  FAKER_METHODS_COMMAND,
  FAKER_METHODS_FILE,
  fakerCatalog,
} from "./faker-catalog.js";

/** `npm run faker-methods`: src/scrub/faker-methods.ts from the installed faker. */
export async function main(root: string): Promise<void> {
  const file = join(root, FAKER_METHODS_FILE);
  const source = catalogSource(fakerCatalog());
  await writeFile(file, await format(source, { ...(await resolveConfig(file)), filepath: file }));
  console.log(`${FAKER_METHODS_COMMAND}: wrote ${FAKER_METHODS_FILE}`);
}
