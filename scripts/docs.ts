import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { REFERENCE_COMMAND, REFERENCE_FILE, referenceMarkdown } from "../src/docs/reference.js";

/** `npm run docs`: docs/reference.md from the schemas and the command tree. */
export async function main(root: string): Promise<void> {
  await writeFile(join(root, REFERENCE_FILE), referenceMarkdown());
  console.log(`${REFERENCE_COMMAND}: wrote ${REFERENCE_FILE}`);
}
