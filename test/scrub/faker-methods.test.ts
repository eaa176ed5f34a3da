import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { FAKER_LOCALES, FAKER_METHODS } from "../../src/scrub/faker-methods.js";
import { catalogSource, fakerCatalog } from "./faker-catalog.js";

const FILE = fileURLToPath(new URL("../../src/scrub/faker-methods.ts", import.meta.url));

it("the committed faker method list matches the installed faker", async () => {
  const installed = fakerCatalog();
  if (process.env.UPDATE_FAKER_METHODS) {
    await writeFile(FILE, catalogSource(installed));
    execFileSync("npx", ["prettier", "--write", FILE]);
    return;
  }
  expect({ methods: FAKER_METHODS, locales: FAKER_LOCALES }).toEqual(installed);
  expect(FAKER_METHODS["person.fullName"]).toEqual(["string", 300]);
  expect(FAKER_METHODS["image.urlLoremFlickr"]).toBeUndefined(); // deprecated: left out
});
