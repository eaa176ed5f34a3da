import { expect, it } from "vitest";
import { formatProblem, loadProject } from "../../src/definitions/project.js";
import { makeProject } from "../helpers/project.js";

const problems = async (scrubber: string, env: Record<string, string> = {}) => {
  const root = await makeProject({ "scrubbers/shop.yaml": scrubber });
  const r = await loadProject(root, env);
  return r.ok ? [] : r.problems.map(formatProblem);
};

it("unknown faker methods, unique fakes with too few values and a missing secret are bad input with file:line:col", async () => {
  expect(
    await problems(
      [
        "tables:",
        "  customers:",
        "    name: { fake: person.fullNam }",
        "    sex: { fake: person.sex, unique: true }",
        "    email: { fake: internet.email, locale: xx_YY }",
        "",
      ].join("\n"),
    ),
  ).toEqual([
    "scrubbers/shop.yaml:1:1 secret: deterministic fakes need a secret (secret: ${SCRUB_SECRET}); or say deterministic: false",
    'scrubbers/shop.yaml:3:19 tables.customers.name.fake: unknown faker method "person.fullNam" (did you mean "person.fullName"?)',
    "scrubbers/shop.yaml:4:38 tables.customers.sex.unique: person.sex cannot produce enough distinct values for unique: true (string, 2 distinct in 300 draws); use hash or template",
    "scrubbers/shop.yaml:5:44 tables.customers.email.locale: unknown faker locale (e.g. en, en_US, de, fr, ja)",
  ]);
  expect(await problems("secret: ${SCRUB_SECRET}\ntables: {}\n")).toEqual([
    "scrubbers/shop.yaml:1:9 secret: environment variable SCRUB_SECRET is not set",
  ]);
  expect(await problems("deterministic: false\ntables: {}\n")).toEqual([]);
});
