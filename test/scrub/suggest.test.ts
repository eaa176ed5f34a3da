import { describe, expect, it } from "vitest";
import type { ColumnInfo } from "../../src/scrub/catalog.js";
import { looksLike, suggestByName, suggestByValues } from "../../src/scrub/suggest.js";

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
