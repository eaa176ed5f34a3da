import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateCommand } from "../../src/cli/validate.js";
import { withSession } from "../../src/db.js";
import { renderHtmlReport } from "../../src/report/html.js";
import { markdownReport } from "../../src/report/markdown.js";
import { startTestCluster } from "../helpers/cluster.js";
import { fakeIo } from "../helpers/io.js";
import { makeProject } from "../helpers/project.js";
import { runRecord } from "../report/records.js";
import { runOn, seen } from "./run-helper.js";

// Tokens as `openssl rand -hex 32` makes them; the wrong one differs in its last byte only.
const TOKEN = randomBytes(32).toString("hex");
const OTHER = TOKEN.slice(0, -1) + (TOKEN.endsWith("0") ? "1" : "0");
const PREFIX = TOKEN.slice(0, 16);

let pg: Awaited<ReturnType<typeof startTestCluster>>;

beforeAll(async () => {
  pg = await startTestCluster();
  await withSession(pg.connection, (db) =>
    db.query(`
      create table drill_canary (token text not null);
      insert into drill_canary values ('${TOKEN}');
      create table empty_canary (token text not null);
      create table two_canaries (token text not null);
      insert into two_canaries values ('${TOKEN}'), ('${TOKEN}');`),
  );
});

afterAll(async () => {
  await pg?.stop();
});

const canary = (query: string, expect: string, name?: string) =>
  ["canary", { query, expect, ...(name ? { name } : {}) }] as [string, unknown];

describe("canary check", () => {
  it("matched / mismatched / missing, and neither value anywhere in the results", async () => {
    const results = await runOn(pg.connection, [
      canary("select token from drill_canary", TOKEN, "planted token"),
      canary("select token from drill_canary", OTHER),
      canary("select token from empty_canary", TOKEN),
      canary("select token from two_canaries", TOKEN),
      // A prefix of the token: equal up to its length is not equal.
      canary(`select '${PREFIX}'::text`, TOKEN),
      canary("select null::text", TOKEN),
    ]);
    expect(results.map(seen)).toEqual([
      ["planted token", "passed", "matched", "matched"],
      ["canary", "failed", "mismatched", "matched"],
      ["canary", "failed", "missing", "matched"],
      ["canary", "failed", "mismatched", "matched"],
      ["canary", "failed", "mismatched", "matched"],
      ["canary", "failed", "mismatched", "matched"],
    ]);
    expect(results[2]!.message).toMatch(/no rows/);
    expect(results[3]!.message).toMatch(/more than one row/);

    // The record, its Markdown and HTML reports: no token, no part of one.
    const record = runRecord({
      at: "2026-12-02T10:00:00Z",
      restoreMs: 1000,
      verifyMs: 200,
      outcome: "failed",
      checks: results,
    });
    const texts = {
      record: JSON.stringify(record),
      markdown: markdownReport(record),
      html: renderHtmlReport(record, []),
    };
    expect(texts.markdown).toContain("mismatched");
    expect(texts.html).toContain("mismatched");
    for (const [what, text] of Object.entries(texts)) {
      for (const secret of [TOKEN, OTHER, PREFIX, TOKEN.slice(-16)]) {
        expect({ what, leaked: text.includes(secret) }).toEqual({ what, leaked: false });
      }
    }
  });

  it("a query that cannot run is that check's error, without the token", async () => {
    const [r] = await runOn(pg.connection, [canary("select token::int from drill_canary", TOKEN)]);
    expect(r!.outcome).toBe("error");
    expect(r!.message).toMatch(/invalid input syntax for type integer/);
    expect(JSON.stringify(r)).not.toContain(TOKEN.slice(0, 8));
  });
});

describe("canary definition", () => {
  const drill = (expect: string) => `name: shop
environment: sandbox
steps:
  - restore: { from: { snapshot: latest } }
  - verify:
      checks:
        - rowCount: { table: orders, min: 1 }
        - canary: { query: "select token from drill_canary", expect: ${expect} }
`;
  async function validate(expect: string) {
    const root = await makeProject({
      "config/drill.yaml": "environments: { sandbox: { provider: local } }\n",
      "drills/shop.yaml": drill(expect),
    });
    const f = fakeIo(root, { CANARY_TOKEN: TOKEN });
    const code = await validateCommand([], f.io);
    return { code, out: f.out() + f.err() };
  }

  it("takes the token from ${VAR}", async () => {
    const { code, out } = await validate('"${CANARY_TOKEN}"');
    expect(code, out).toBe(0);
    expect(out).not.toContain(TOKEN);
  });

  it("refuses a literal token with exit 2 at file:line, without echoing it", async () => {
    const { code, out } = await validate(`"${TOKEN}"`);
    expect(code).toBe(2);
    expect(out.trim()).toBe(
      "drills/shop.yaml:8:70 steps[1].verify.checks[1].canary.expect: expect must be a ${VAR} reference, the token is a secret",
    );
  });
});
