import type { ExampleFile } from "./index.js";

/**
 * scrubbers/shop.yaml as `drill init` writes it. It must classify every column of the sandbox's
 * shop schema (src/providers/local/shop-schema.ts) or the example drill fails at run time with
 * `unknownColumns: fail`; test/cli/init.test.ts holds the two together.
 */
export const exampleScrubber: ExampleFile = {
  path: "scrubbers/shop.yaml",
  what: "how every column of the sandbox shop is made safe",
  text: `# How every column of the sandbox shop database is made safe before anyone uses the copy.
# Written by \`drill init\`. A drill's scrub step applies it; \`drill validate\` checks it. For a
# database of your own, \`drill scrubber init <environment>\` drafts one from its columns.

# The sandbox holds fake data only, so this scrubber needs no secret: its fakes are keyed by a
# per-run key nobody keeps. For real data write \`secret: \${SCRUB_SECRET}\` instead (from the
# environment, never the file): the same input then gives the same fake in every table and run.
deterministic: false
unknownColumns: fail # a column nobody classified (a new migration) fails the scrub
# locale: de # faker locale of every fake (default: en)

tables:
  customers:
    id: keep # copied as it is
    full_name: { fake: person.fullName } # any @faker-js/faker method
    email: { fake: internet.email, unique: true } # unique: the column has a unique constraint
    phone: { mask: { keepLast: 2 } } # every character but the last 2 becomes *
    street_address: { fake: location.streetAddress }
    city: keep
    country: keep
    birth_date: { shiftDate: 90d } # each row's dates move by a stable shift within ±90 days
    created_at: keep
  orders:
    id: keep
    customer_id: keep
    status: keep
    total: keep
    created_at: keep
  order_items:
    id: keep
    order_id: keep
    sku: keep
    product_name: keep
    quantity: keep
    unit_price: keep
  payments:
    id: keep
    order_id: keep
    amount: keep
    method: keep
    card_last4: null # emptied
    paid_at: keep

# Other transformers:
#   { hash: { length: 12 } }                      a keyed hash (digitsOnly, domain for emails)
#   { set: redacted }                             one value for every row
#   { template: "user-{{id}}@example.invalid" }   text built from the row's other columns
#   { text: {} }                                  emails, phones and card numbers in free text
#   { json: { contact.email: { fake: internet.email } } }   a rule per path inside a JSON column
# A kept text column may hold what looks like personal data on purpose (a support phone number):
# allowPatterns: { orders.notes: [phones] }
`,
};
