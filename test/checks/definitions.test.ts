import { describe, expect, it } from "vitest";
import { validateCommand } from "../../src/cli/validate.js";
import { fakeIo } from "../helpers/io.js";
import { makeProject } from "../helpers/project.js";

const CONFIG = "environments: { sandbox: { provider: local } }\n";

const drill = (checks: string) => `name: shop
environment: sandbox
steps:
  - restore: { from: { snapshot: latest } }
  - verify:
      checks:
${checks}`;

async function validate(checks: string) {
  const root = await makeProject({
    "config/drill.yaml": CONFIG,
    "drills/shop.yaml": drill(checks),
  });
  const f = fakeIo(root, {});
  const code = await validateCommand([], f.io);
  return { code, lines: f.err().trim().split("\n") };
}

describe("check definitions", () => {
  it("accepts every kind in its documented shape", async () => {
    const { code, lines } =
      await validate(`        - rowCount: { table: orders, min: 1, withinPercentOfPrevious: 20 }
        - freshness: { table: orders, column: created_at, maxAge: 26h }
        - freshness: { table: orders, column: created_at, against: now }
        - sql: { name: a, query: "select 1", expect: 1 }
        - sql: { name: b, query: "select 1", rows: 0 }
        - sql: { name: c, query: "select 1", expect: { lt: 5 } }
        - sql: { name: d, query: "select 1", rows: { between: [1, 3] } }
        - noOrphans: { table: order_items, column: order_id, references: orders.id }
        - unique: { table: customers, columns: [email] }
        - notNull: { table: customers, columns: [email, full_name] }
        - constraints: {}
        - amcheck: {}
        - schema: { migrations: { table: schema_migrations, column: version, atLeast: 20240101 } }
        - schema: { tables: { orders: [id, total], shop.customers: [] } }
        - command: { run: ./smoke.sh, timeout: 2m }
        - command: { run: [npm, run, smoke] }
`);
    expect([code, lines]).toEqual([0, [""]]);
  });

  it("reports each malformed check at its line, before anything runs", async () => {
    const { code, lines } = await validate(`        - rowCount: { table: orders }
        - sql: { name: x, query: "select 1", expect: 1, rows: 0 }
        - sql: { name: y, query: "select 1", expect: { between: [5, 1] } }
        - noOrphans: { table: order_items, column: order_id, references: orders }
        - unique: { table: customers, columns: [] }
        - freshness: { table: orders, column: created_at, against: yesterday }
        - command: { run: [] }
        - schema: {}
        - constraints: { exclude: [a], only: b }
`);
    expect(code).toBe(2);
    expect(lines).toEqual([
      "drills/shop.yaml:7:21 steps[1].verify.checks[0].rowCount: give at least one of min, max, exact, withinPercentOfPrevious",
      "drills/shop.yaml:8:16 steps[1].verify.checks[1].sql: give exactly one of expect (the first value) and rows (how many rows)",
      "drills/shop.yaml:9:54 steps[1].verify.checks[2].sql.expect: between: the first bound must not exceed the second",
      'drills/shop.yaml:10:74 steps[1].verify.checks[3].noOrphans.references: expected "table.column" such as "orders.created_at"',
      "drills/shop.yaml:11:48 steps[1].verify.checks[4].unique.columns: name at least one column",
      'drills/shop.yaml:12:68 steps[1].verify.checks[5].freshness.against: expected one of "snapshot", "now"',
      "drills/shop.yaml:13:27 steps[1].verify.checks[6].command.run: give the program and its arguments",
      "drills/shop.yaml:14:19 steps[1].verify.checks[7].schema: give migrations, tables or both",
      'drills/shop.yaml:15:40 steps[1].verify.checks[8].constraints.only: unknown key "only" (allowed: name, exclude)',
    ]);
  });
});
