import { expect, it } from "vitest";
import { FAKER_LOCALES, FAKER_METHODS } from "../../src/scrub/faker-methods.js";
import {
  FAKER_METHODS_COMMAND,
  FAKER_METHODS_FILE,
  fakerCatalog,
} from "../../scripts/faker-catalog.js";

it("the committed faker method list matches the installed faker", () => {
  expect(
    { methods: FAKER_METHODS, locales: FAKER_LOCALES },
    `${FAKER_METHODS_FILE} is out of date: run \`${FAKER_METHODS_COMMAND}\``,
  ).toEqual(fakerCatalog());
  expect(FAKER_METHODS["person.fullName"]).toEqual(["string", 300]);
  expect(FAKER_METHODS["image.urlLoremFlickr"]).toBeUndefined(); // deprecated: left out
});
