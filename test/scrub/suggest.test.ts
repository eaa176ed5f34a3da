import { describe, expect, it } from "vitest";
import type { ColumnInfo } from "../../src/scrub/catalog.js";
import { parse } from "yaml";
import { columnLine, guessColumn } from "../../src/scrub/guess.js";
import type { ColumnSample } from "../../src/scrub/sample.js";
import { looksLike, suggestByName, suggestByValues } from "../../src/scrub/suggest.js";
import { scrubberOf } from "./fixture.js";

const col = (name: string, over: Partial<ColumnInfo> = {}): ColumnInfo => ({
  name,
  type: "text",
  category: "S",
  typeName: "text",
  notNull: false,
  collation: null,
  ...over,
});
const rule = (c: ColumnInfo, values: string[], firstNames?: Set<string>) =>
  suggestByValues(c, values, { now: new Date("2026-06-01"), ...(firstNames ? { firstNames } : {}) })
    ?.rule;
const many = (f: (i: number) => string, n = 20) => Array.from({ length: n }, (_, i) => f(i));

describe("suggestByValues", () => {
  it("recognises emails, phones, addresses, IPs and Luhn-valid card numbers whatever the column is called", () => {
    const c = col("c1");
    expect(
      rule(
        c,
        many((i) => `someone${i}@mail.example.com`),
      ),
    ).toBe("{ fake: internet.email }");
    expect(
      rule(
        c,
        many((i) => `+31 20 555 ${String(1000 + i)}`),
      ),
    ).toBe("{ fake: phone.number }");
    expect(
      rule(
        c,
        many((i) => `(555) 123-${String(4000 + i)}`),
      ),
    ).toBe("{ fake: phone.number }");
    expect(
      rule(
        c,
        many((i) => `${i + 1} Canal Street`),
      ),
    ).toBe("{ fake: location.streetAddress }");
    expect(
      rule(
        c,
        many((i) => `Hauptstraße ${i + 1}`),
      ),
    ).toBe("{ fake: location.streetAddress }");
    expect(
      rule(
        c,
        many((i) => `10.0.${i}.7`),
      ),
    ).toBe("{ fake: internet.ip }");
    expect(
      rule(
        c,
        many(() => "4111 1111 1111 1111"),
      ),
    ).toBe("null");
    // Same shape, wrong checksum: not card numbers (and no separator makes them phones).
    expect(
      rule(
        c,
        many(() => "4111111111111112"),
      ),
    ).toBeUndefined();
    expect(
      rule(
        col("addr", { category: "I", typeName: "inet", type: "inet" }),
        many((i) => `10.1.1.${i}`),
      ),
    ).toBe("{ fake: internet.ip }");
  });

  it("tells people's names from other capitalised words with a first-name list", () => {
    const first = new Set(["ann", "bob", "cleo"]);
    const names = many(
      (i) => `${["Ann", "Bob", "Cleo"][i % 3]} ${["Smith", "O'Neil", "van Berg"][i % 3]}`,
    );
    expect(
      rule(
        col("c2"),
        names.map((n) => n.replace("van ", "Van ")),
        first,
      ),
    ).toBe("{ fake: person.fullName }");
    expect(
      rule(
        col("c2"),
        many(() => "Ergonomic Steel Chair"),
        first,
      ),
    ).toBeUndefined();
  });

  it("finds dates of birth by age and spread, not every date", () => {
    const d = col("d", { category: "D", typeName: "date", type: "date" });
    expect(
      rule(
        d,
        many((i) => `${1950 + i * 2}-03-0${1 + (i % 9)}`),
      ),
    ).toBe("{ shiftDate: 90d }");
    // Order dates: recent. Hire dates: old but within two years of each other.
    expect(
      rule(
        d,
        many((i) => `2025-0${1 + (i % 9)}-10`),
      ),
    ).toBeUndefined();
    expect(
      rule(
        d,
        many((i) => `${2002 + (i % 2)}-0${1 + (i % 9)}-10`),
      ),
    ).toBeUndefined();
  });

  it("flags free text holding emails or phone numbers, and stays quiet on ordinary values", () => {
    const notes = many((i) => (i % 5 === 0 ? `call me at +1 555 010 ${1000 + i}` : "no notes"));
    expect(rule(col("c3"), notes)).toBe("{ text: {} }");
    expect(
      rule(
        col("status"),
        many((i) => ["paid", "shipped", "pending"][i % 3]!),
      ),
    ).toBeUndefined();
    expect(
      rule(
        col("sku"),
        many((i) => `SKU-${100000 + i}`),
      ),
    ).toBeUndefined();
    // Too few values to judge.
    expect(rule(col("c4"), ["a@b.example.com", "c@d.example.com"])).toBeUndefined();
  });

  it("says how many values it sampled", () => {
    const s = suggestByValues(
      col("c"),
      many((i) => `x${i}@mail.example.com`, 200),
    );
    expect(s?.why).toBe("looks like emails (sampled 200 values)");
    expect(looksLike.phone("12345678")).toBe(false);
  });
});

it("suggestByName still guesses from names, and only date columns get shiftDate", () => {
  expect(suggestByName(col("mobile_phone")).rule).toBe("{ fake: phone.number }");
  expect(suggestByName(col("birth_date", { category: "D" })).rule).toBe("{ shiftDate: 90d }");
  expect(suggestByName(col("birth_date")).rule).not.toBe("{ shiftDate: 90d }");
});

describe("guessColumn: values beat names, every guess says why", () => {
  const first = new Set(["ann", "bob", "cleo", "jane", "omar"]);
  const ctx = { firstNames: first, unique: false, largeObjects: 0, now: new Date("2026-06-01") };
  const sample = (values: string[], more: Partial<ColumnSample> = {}): ColumnSample => ({
    values,
    elements: [],
    docs: [],
    ...more,
  });
  const people = many(
    (i) => `${["Ann", "Bob", "Cleo"][i % 3]} ${["Smith", "Jones", "Berg"][i % 3]}`,
  );

  it("an innocently named column full of emails is an email; unique index → unique fake", () => {
    const g = guessColumn(col("contact"), sample(many((i) => `u${i}@mail.example.com`)), ctx);
    expect(g).toMatchObject({ rule: "{ fake: internet.email }", pii: true });
    expect(g.why).toMatch(/looks like emails \(sampled 20 values\)/);
    const u = guessColumn(col("c"), sample(many((i) => `u${i}@mail.example.com`)), {
      ...ctx,
      unique: true,
    });
    expect(u.rule).toBe("{ fake: internet.email, unique: true }");
  });

  it("a text[] of emails gets each, an inet column internet.ip (ipv6 when values say so)", () => {
    const arr = col("aliases", { type: "text[]", typeName: "_text", category: "A" });
    const g = guessColumn(arr, sample([], { elements: many((i) => `a${i}@x.example.org`) }), ctx);
    expect(g.rule).toBe("{ each: { fake: internet.email } }");
    expect(g.why).toMatch(/^elements: looks like emails/);
    const tags = guessColumn(arr, sample([], { elements: many((i) => `tag${i % 4}`) }), ctx);
    expect(tags.rule).toBe("keep");
    const inet = col("client", { type: "inet", typeName: "inet", category: "I" });
    expect(guessColumn(inet, sample(many((i) => `10.0.0.${i}`)), ctx).rule).toBe(
      "{ fake: internet.ip }",
    );
    expect(guessColumn(inet, sample(many((i) => `2001:db8::${i}`)), ctx).rule).toBe(
      "{ fake: internet.ipv6 }",
    );
  });

  it("product_name of products is not a person; customer_name and a label of people are", () => {
    const products = many((i) => `${["Ergonomic", "Rustic", "Sleek"][i % 3]} Steel Chair`);
    const p = guessColumn(col("product_name"), sample(products), ctx);
    expect(p.rule).toBe("keep");
    expect(p.why).toMatch(/no sampled value looks like a person's name \(sampled 20\): review/);
    expect(guessColumn(col("name"), sample(products), ctx).rule).toBe("keep");
    expect(guessColumn(col("name"), sample(people), ctx).rule).toBe("{ fake: person.fullName }");
    expect(guessColumn(col("label"), sample(people), ctx)).toMatchObject({
      rule: "{ fake: person.fullName }",
      why: "looks like people's names (sampled 20 values)",
    });
    // Name only (nothing sampled): person-ish names are people, other *_name columns are not.
    expect(guessColumn(col("customer_name"), undefined, ctx).rule).toBe(
      "{ fake: person.fullName }",
    );
    expect(guessColumn(col("category_name"), undefined, ctx).rule).toBe("keep");
    expect(suggestByName(col("state_name")).rule).toBe("keep");
    expect(suggestByName(col("contact_name")).rule).toBe("{ fake: person.fullName }");
  });

  it("free text with names, emails, phones or IBANs gets text; whole IBANs are removed", () => {
    const tickets = many((i) =>
      i % 4 === 0 ? `Customer Jane Doe asked about order ${i}` : `Order ${i} shipped on time`,
    );
    const t = guessColumn(col("body"), sample(tickets), ctx);
    expect(t.rule).toBe("{ text: {} }");
    expect(t.why).toMatch(/free text with people's names in 25% of 20 sampled values/);
    const ibans = many((i) =>
      i % 5 === 0 ? "refund to NL91 ABNA 0417 1643 00 please" : "ok then",
    );
    expect(guessColumn(col("memo"), sample(ibans), ctx).why).toMatch(
      /free text with .*IBANs in 20% of 20/,
    );
    const whole = guessColumn(col("acct"), sample(many(() => "NL91ABNA0417164300")), ctx);
    expect(whole.rule).toBe("null");
  });

  it("json with personal data at paths gets a rule per path; oid columns point at largeObjects", () => {
    const docs = Array.from({ length: 20 }, (_, i) => ({
      contact: { email: `p${i}@x.example.org`, phone: `+31 20 555 ${1000 + i}` },
      plan: ["basic", "pro"][i % 2],
      level: i % 3,
    }));
    const j = col("profile", { type: "jsonb", typeName: "jsonb", category: "U" });
    const g = guessColumn(j, sample([], { docs }), ctx);
    expect(g.rule).toBe(
      '{ json: { "contact.email": { fake: internet.email }, "contact.phone": { fake: phone.number } } }',
    );
    expect(g.why).toMatch(/contact\.email name says email; looks like emails/);
    expect(
      scrubberOf({ secret: "s".repeat(20), tables: { t: { profile: parse(g.rule) } } }),
    ).toBeTruthy();
    const oid = col("scan", { type: "oid", typeName: "oid", category: "N" });
    expect(guessColumn(oid, undefined, { ...ctx, largeObjects: 3 })).toMatchObject({
      rule: "null",
      why: expect.stringMatching(/3 large object\(s\); see largeObjects/) as unknown,
    });
    expect(guessColumn(oid, undefined, ctx).rule).toBe("keep");
  });

  it("every reason is a comment and no sampled value ever appears in it", () => {
    const secretish = many((i) => `zq${i}@secret.example.com`);
    const g = guessColumn(col("x"), sample(secretish), ctx);
    expect(columnLine("x", g)).toBe(`    x: ${g.rule} # ${g.why}`);
    for (const v of secretish) expect(g.why).not.toContain(v);
    expect(
      guessColumn(col("qty", { category: "N", typeName: "int4", type: "integer" }), undefined, ctx)
        .why,
    ).toMatch(/^integer: nothing in the name/);
  });
});
