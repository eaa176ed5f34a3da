import { z } from "zod";
import { columnName, duration, sqlText, strict, tableName } from "./common.js";
import { FAKER_LOCALES, FAKER_METHODS } from "../scrub/faker-methods.js";

/**
 * How one column is made safe. Faker paths and locales are checked against a list generated
 * from the installed faker (src/scrub/faker-methods.ts), so validation never loads faker.
 */

/** A unique fake needs a wide domain: fewer distinct values than this in 300 draws is refused. */
export const UNIQUE_MIN_DISTINCT = 100;

const locale = z.string().refine((l) => FAKER_LOCALES.includes(l), {
  message: "unknown faker locale (e.g. en, en_US, de, fr, ja)",
});

const closest = (path: string): string | undefined => {
  const [mod, method = ""] = path.split(".");
  const same = Object.keys(FAKER_METHODS).filter((p) => p.startsWith(`${mod}.`));
  const lower = method.toLowerCase();
  return (
    same.find((p) => p.toLowerCase() === `${mod}.${lower}`) ??
    same.find((p) => p.toLowerCase().includes(lower.slice(0, 4))) ??
    same[0]
  );
};

/** Every transformer that can keep a unique constraint says so with this. */
const uniqueFlag = z.boolean().optional().meta({
  description:
    "the column has a unique constraint: distinct inputs give distinct outputs (a unique fake carries a hex tag; every column using the same fake method and locale then gets the tagged form too, so natural keys still join)",
});

const fake = strict({
  fake: z
    .string()
    .regex(/^[a-zA-Z]+\.[a-zA-Z][a-zA-Z0-9]*$/, {
      message: 'expected a faker method such as "person.fullName"',
    })
    .superRefine((path, ctx) => {
      // A malformed path was reported by the regex above.
      if (Object.hasOwn(FAKER_METHODS, path) || !/^[a-zA-Z]+\.[a-zA-Z][a-zA-Z0-9]*$/.test(path))
        return;
      const near = closest(path);
      ctx.addIssue({
        code: "custom",
        message: `unknown faker method "${path}"${near ? ` (did you mean "${near}"?)` : ""}`,
      });
    })
    .meta({ description: "a @faker-js/faker method path, e.g. person.fullName, internet.email" }),
  locale: locale
    .optional()
    .meta({ description: "faker locale of this column (default: the scrubber's locale, then en)" }),
  unique: uniqueFlag,
})
  .superRefine((rule, ctx) => {
    const info = FAKER_METHODS[rule.fake];
    if (!rule.unique || !info) return;
    const [kind, distinct] = info;
    if (kind !== "string" || distinct < UNIQUE_MIN_DISTINCT) {
      ctx.addIssue({
        code: "custom",
        path: ["unique"],
        message: `${rule.fake} cannot produce enough distinct values for unique: true (${kind}, ${distinct} distinct in 300 draws); use hash or template`,
      });
    }
  })
  .meta({
    description:
      "A fake from a faker method: drawn once per run into a pool and picked by a keyed hash, so one input gives one output in every table, with or without unique on either side (when any rule marks a method and locale unique, every rule using them gets its tagged, unique form). inet and cidr columns take internet.ip, internet.ipv4 or internet.ipv6 (a cidr gets the fake's network, at the original prefix length).",
  });
const hash = strict({
  hash: strict({
    length: z
      .number()
      .int()
      .min(4)
      .max(128)
      .optional()
      .meta({ description: "characters of the hash kept (default: 16)" }),
    digitsOnly: z
      .boolean()
      .optional()
      .meta({ description: "digits only, for numbers kept as text (phones, accounts)" }),
    domain: sqlText()
      .optional()
      .meta({ description: "append @domain: an email address that is no one's" }),
  }).meta({ description: "keyed, stable hash; {} for 16 hex characters" }),
  unique: uniqueFlag,
}).meta({
  description:
    "A keyed hash of the value, in hex: stable within a run, and across runs with the scrubber's secret.",
});
const mask = strict({
  mask: strict({
    keepFirst: z
      .number()
      .int()
      .min(0)
      .optional()
      .meta({ description: "characters kept at the start (default: 0)" }),
    keepLast: z
      .number()
      .int()
      .min(0)
      .optional()
      .meta({ description: "characters kept at the end (default: 0)" }),
    char: sqlText()
      .length(1)
      .optional()
      .meta({ description: "the masking character (default: *)" }),
  }).meta({ description: "what to keep; {} masks every character" }),
}).meta({
  description: "Every character but those kept at either end is replaced: 555-0142 → ******42.",
});
const set = strict({
  set: z
    .union([sqlText(), z.number(), z.boolean(), z.null()])
    .meta({ description: "the value every row gets" }),
}).meta({ description: "One value for every row." });
const shiftDate = strict({
  shiftDate: duration
    .refine((ms) => ms >= 86_400_000, { message: "shift by at least 1d" })
    .meta({ description: "each row's dates move by a stable number of days within ±this" }),
}).meta({
  description:
    "Moves a date or timestamp by a shift that is stable per row and never zero, within ±the duration (at least 1d): intervals between a row's dates survive.",
});
const template = strict({
  template: sqlText()
    .min(1)
    .refine((t) => /^([^{}]|\{\{[A-Za-z_][A-Za-z0-9_$]*\}\})*$/.test(t), {
      message:
        'expected text with {{column}} or {{hash}} placeholders, e.g. "user-{{id}}@example.invalid"',
    })
    .meta({
      description: "text with {{column}} (another column of the row) or {{hash}} placeholders",
    }),
  unique: uniqueFlag,
}).meta({ description: 'Text built from the row: "user-{{id}}@example.invalid".' });
const text = strict({
  text: strict({
    emails: z.boolean().optional().meta({ description: "replace email addresses" }),
    phones: z.boolean().optional().meta({ description: "replace phone numbers" }),
    cards: z.boolean().optional().meta({ description: "replace card numbers" }),
    ibans: z.boolean().optional().meta({ description: "replace IBANs" }),
    names: z.boolean().optional().meta({
      description:
        "replace the original values of the database's person-name columns by the fakes those columns got",
    }),
  }).meta({
    description:
      "what to replace inside free text: emails, phones, cards, IBANs and known names (all by default)",
  }),
}).meta({
  description:
    "Free text keeps its words: emails, phone and card numbers, IBANs and known people's names inside it are replaced (all unless some are named).",
});

const RULES = "keep, null, or one of fake, hash, mask, set, shiftDate, template, text, each";
// Only reached when no single rule is evidently meant (validate shows the closest rule's issue).
const unionError = (expected: string) => (issue: { code?: string }) =>
  issue.code === "invalid_union" ? `expected ${expected}` : undefined;

const keep = z.literal("keep").meta({ description: "The value is copied as it is." });
const remove = z.null().meta({ description: "The value is removed: the column becomes null." });

const elementRule = z.union([keep, remove, fake, hash, mask, set, shiftDate, template, text], {
  error: unionError(RULES.replace(", each", "")),
});
const each = strict({
  each: elementRule.meta({ description: "the rule applied to each element" }),
}).meta({
  description:
    "An array column (text[], varchar[], …): the rule is applied to every element; order, nulls and the array's length are kept.",
});
const simpleRule = z.union([keep, remove, fake, hash, mask, set, shiftDate, template, text, each], {
  error: unionError(RULES),
});
/** Paths inside the document: `contact.email`, `addresses.0.street`. */
const jsonPath = z.string().regex(/^[^.\s\0]+(\.[^.\s\0]+)*$/, {
  message: 'expected a path such as "contact.email"',
});
const jsonRule = strict({
  json: z
    .record(jsonPath, elementRule.meta({ description: "the rule for the value at this path" }))
    .meta({ description: "a rule per path: contact.email, addresses.0.street" }),
  rest: z.enum(["keep", "drop", "scan"]).default("scan").meta({
    description:
      "keys no path names: scan (kept, and the leak scan looks inside them), keep (kept as they are), drop (removed)",
  }),
}).meta({
  description:
    "A JSON or JSONB column: a rule per path inside each document; `rest` says what happens to the rest of the document.",
});

export const columnRule = z
  .union([simpleRule, jsonRule], { error: unionError(`${RULES}, json`) })
  .meta({ description: "how the column is made safe: keep, null, or a transformer" });

export type ColumnRule = z.output<typeof columnRule>;
export type SimpleRule = z.output<typeof simpleRule>;
/** A rule for one value: inside a JSON document or an array element. */
export type ElementRule = z.output<typeof elementRule>;

/**
 * What the leak scan finds: patterns inside text (emails … ibans), and kept columns whose values
 * as a whole look like people's names, IP addresses, dates of birth or street addresses.
 */
export const PATTERNS = [
  "emails",
  "phones",
  "cards",
  "ibans",
  "names",
  "ips",
  "birthDates",
  "addresses",
] as const;
export type PatternName = (typeof PATTERNS)[number];

export const scrubberSchema = strict({
  secret: z
    .string()
    .min(16, { message: "the secret must be at least 16 characters" })
    .optional()
    .meta({
      description:
        "keys the fakes and hashes (at least 16 characters): same input, same output in every table and run; write it as ${SCRUB_SECRET}",
    }),
  deterministic: z.boolean().default(true).meta({
    description: "false: no secret, fakes keyed by a per-run key nobody keeps (fake data only)",
  }),
  unknownColumns: z.enum(["fail", "warn"]).default("fail").meta({
    description: "a column of the copy no rule classifies fails the scrub, or only warns",
  }),
  locale: locale.optional().meta({ description: "faker locale of every fake (default: en)" }),
  largeObjects: z.enum(["drop", "keep"]).optional().meta({
    description:
      "large objects (pg_largeobject) of the database: drop unlinks them all, keep keeps them and the leak scan reads them; a database that has some and no decision fails the scrub",
  }),
  tables: z
    .record(
      tableName,
      z.record(columnName, columnRule).meta({ description: "every column of the table, by name" }),
    )
    .meta({ description: "every table of the database, by name (schema-qualified if not public)" }),
  allowPatterns: z
    .record(
      z.string().regex(/^([A-Za-z_][A-Za-z0-9_$]*\.){1,2}[A-Za-z_][A-Za-z0-9_$]*$/, {
        message: 'expected "table.column"',
      }),
      z.array(z.enum(PATTERNS)).min(1),
    )
    .optional()
    .meta({
      description:
        'findings the leak scan accepts in kept columns, by "table.column": [phones] for a support number, [names] for a column of authors, [ips] for servers\' addresses (emails, phones, cards, ibans, names, ips, birthDates, addresses)',
    }),
}).superRefine((s, ctx) => {
  if (s.deterministic && s.secret === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["secret"],
      message:
        "deterministic fakes need a secret (secret: ${SCRUB_SECRET}); or say deterministic: false",
    });
  }
});

export type Scrubber = z.output<typeof scrubberSchema>;
