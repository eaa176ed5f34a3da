import { z } from "zod";
import { columnName, duration, strict, tableName } from "./common.js";

/**
 * How one column is made safe. The scrub step itself arrives with the scrubber issue; the file
 * format is fixed here so that drills can name scrubbers and `drill validate` checks them.
 */
const fake = strict({
  fake: z.string().regex(/^[a-zA-Z]+\.[a-zA-Z]+$/, {
    message: 'expected a faker method such as "person.fullName"',
  }),
  locale: z.string().optional(),
  unique: z.boolean().optional(),
});
const hash = strict({
  hash: strict({
    length: z.number().int().min(4).max(128).optional(),
    digitsOnly: z.boolean().optional(),
    domain: z.string().optional(),
  }),
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
const shiftDate = strict({ shiftDate: duration });
const template = strict({ template: z.string().min(1), unique: z.boolean().optional() });
const text = strict({
  text: strict({
    emails: z.boolean().optional(),
    phones: z.boolean().optional(),
    cards: z.boolean().optional(),
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
const jsonRule = strict({ json: z.record(z.string().min(1), simpleRule) });

export const columnRule = z.union([simpleRule, jsonRule], { error: unionError(`${RULES}, json`) });

export const scrubberSchema = strict({
  secret: z.string().min(16, { message: "the secret must be at least 16 characters" }).optional(),
  deterministic: z.boolean().default(true),
  unknownColumns: z.enum(["fail", "warn"]).default("fail"),
  locale: z.string().optional(),
  tables: z.record(tableName, z.record(columnName, columnRule)),
});

export type Scrubber = z.output<typeof scrubberSchema>;
