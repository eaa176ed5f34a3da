import { z } from "zod";
import { columnName, duration, strict, tableName } from "./common.js";
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

const fake = strict({
  fake: z
    .string()
    .regex(/^[a-zA-Z]+\.[a-zA-Z]+$/, {
      message: 'expected a faker method such as "person.fullName"',
    })
    .superRefine((path, ctx) => {
      // A malformed path was reported by the regex above.
      if (Object.hasOwn(FAKER_METHODS, path) || !/^[a-zA-Z]+\.[a-zA-Z]+$/.test(path)) return;
      const near = closest(path);
      ctx.addIssue({
        code: "custom",
        message: `unknown faker method "${path}"${near ? ` (did you mean "${near}"?)` : ""}`,
      });
    })
    .meta({ description: "a @faker-js/faker method path, e.g. person.fullName, internet.email" }),
  locale: locale.optional(),
  unique: z.boolean().optional(),
}).superRefine((rule, ctx) => {
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
});
const hash = strict({
  hash: strict({
    length: z.number().int().min(4).max(128).optional(),
    digitsOnly: z.boolean().optional(),
    domain: z.string().optional(),
  }).meta({ description: "keyed, stable hash; {} for 16 hex characters" }),
  unique: z.boolean().optional(),
});
const mask = strict({
  mask: strict({
    keepFirst: z.number().int().min(0).optional(),
    keepLast: z.number().int().min(0).optional(),
    char: z.string().length(1).optional(),
  }),
});
const set = strict({ set: z.union([z.string(), z.number(), z.boolean(), z.null()]) });
const shiftDate = strict({
  shiftDate: duration
    .refine((ms) => ms >= 86_400_000, { message: "shift by at least 1d" })
    .meta({ description: "each row's dates move by a stable number of days within ±this" }),
});
const template = strict({
  template: z
    .string()
    .min(1)
    .refine((t) => /^([^{}]|\{\{[A-Za-z_][A-Za-z0-9_$]*\}\})*$/.test(t), {
      message:
        'expected text with {{column}} or {{hash}} placeholders, e.g. "user-{{id}}@example.invalid"',
    }),
  unique: z.boolean().optional(),
});
const text = strict({
  text: strict({
    emails: z.boolean().optional(),
    phones: z.boolean().optional(),
    cards: z.boolean().optional(),
  }).meta({
    description: "replace emails, phone and card numbers inside free text (all by default)",
  }),
});

const RULES = "keep, null, or one of fake, hash, mask, set, shiftDate, template, text";
// Only reached when no single rule is evidently meant (validate shows the closest rule's issue).
const unionError = (expected: string) => (issue: { code?: string }) =>
  issue.code === "invalid_union" ? `expected ${expected}` : undefined;

const simpleRule = z.union(
  [z.literal("keep"), z.null(), fake, hash, mask, set, shiftDate, template, text],
  {
    error: unionError(RULES),
  },
);
/** Paths inside the document: `contact.email`, `addresses.0.street`. */
const jsonPath = z.string().regex(/^[^.\s]+(\.[^.\s]+)*$/, {
  message: 'expected a path such as "contact.email"',
});
const jsonRule = strict({ json: z.record(jsonPath, simpleRule) });

export const columnRule = z.union([simpleRule, jsonRule], { error: unionError(`${RULES}, json`) });

export type ColumnRule = z.output<typeof columnRule>;
export type SimpleRule = z.output<typeof simpleRule>;

export const PATTERNS = ["emails", "phones", "cards", "ibans"] as const;
export type PatternName = (typeof PATTERNS)[number];

export const scrubberSchema = strict({
  secret: z.string().min(16, { message: "the secret must be at least 16 characters" }).optional(),
  deterministic: z.boolean().default(true),
  unknownColumns: z.enum(["fail", "warn"]).default("fail"),
  locale: locale.optional(),
  tables: z.record(tableName, z.record(columnName, columnRule)),
  /** Pattern findings in `keep` columns that are expected (e.g. a support phone in a template). */
  allowPatterns: z
    .record(
      z.string().regex(/^([A-Za-z_][A-Za-z0-9_$]*\.){1,2}[A-Za-z_][A-Za-z0-9_$]*$/, {
        message: 'expected "table.column"',
      }),
      z.array(z.enum(PATTERNS)).min(1),
    )
    .optional(),
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
