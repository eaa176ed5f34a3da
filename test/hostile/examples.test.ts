/**
 * Values from the data stay out of messages. The restored copy holds orders whose customer
 * emails have no customer (orphans), and checks that trip over them: noOrphans, a sql check
 * whose text value differs from the expectation, and a sql check whose cast fails on an email
 * (PostgreSQL quotes the value in its error). Whole drills run (restore by template copy,
 * verify, cleanup), the record is stored and posted to Slack, Teams and a webhook, and the
 * reports are rendered: no email may appear in any of it or in the debug log, the keyed hashes
 * and the counts must; with `showExamples: true` the values appear.
 */
import { randomBytes } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckRecord } from "../../src/checks/types.js";
import { makeStyle } from "../../src/cli/display/style.js";
import { summaryLines } from "../../src/cli/display/summary.js";
import { withSession } from "../../src/db.js";
import { loadProject } from "../../src/definitions/project.js";
import { resolverFor, resourcesFor } from "../../src/engine/execute.js";
import { runDrill } from "../../src/engine/runner.js";
import { openHistory } from "../../src/history/open.js";
import { createLogger } from "../../src/log.js";
import { notifyRun } from "../../src/notify/notify.js";
import { exampleHash } from "../../src/redact.js";
import { renderHtmlReport } from "../../src/report/html.js";
import { markdownReport } from "../../src/report/markdown.js";
import { systemClock, type RunRecord } from "../../src/types.js";
import { useTestCluster } from "../helpers/cluster.js";
import { makeProject } from "../helpers/project.js";
import { templateCopyProvider } from "../helpers/template-copy.js";
import { startReceiver } from "../notify/receiver.js";

const pg = useTestCluster();
const mark = randomBytes(4).toString("hex");
const CUSTOMER = `known.${mark}@customer.example`;
const ORPHANS = [`ada.${mark}@orphan.example`, `bob.${mark}@orphan.example`];
const VALUES = [CUSTOMER, ...ORPHANS];
/** Any of the values, or its local part (an email cut at "@" still names a person). */
const found = (text: string) =>
  VALUES.flatMap((v) => [v, v.split("@")[0]!]).filter((v) => text.includes(v));

let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  receiver = await startReceiver();
  await withSession(pg.connection, (db) => db.query("create database shop"));
  await withSession({ ...pg.connection, database: "shop" }, async (db) => {
    await db.query("create table customers (email text primary key)");
    await db.query("create table orders (id int primary key, customer_email text)");
    await db.query("insert into customers values ($1)", [CUSTOMER]);
    // Ada's email twice: 3 orphan rows, 2 distinct keys.
    await db.query("insert into orders values (1, $1), (2, $2), (3, $2), (4, $3)", [
      CUSTOMER,
      ORPHANS[0],
      ORPHANS[1],
    ]);
  });
});
afterAll(async () => receiver?.close());

const CONFIG = `
environments:
  sandbox: { provider: local }
history: { store: file, path: .drill/history }
channels:
  team: { slack: { webhookUrl: "\${SLACK_URL}" } }
  ops: { teams: { webhookUrl: "\${TEAMS_URL}" } }
  audit: { webhook: { url: "\${HOOK_URL}" } }
`;

const drillFile = (show: boolean) => `
name: orphans
environment: sandbox
${show ? "showExamples: true" : "# showExamples: false is the default"}
steps:
  - restore: { from: { snapshot: latest } }
  - verify:
      checks:
        - noOrphans: { table: orders, column: customer_email, references: customers.email }
        - sql: { name: first email is nobody, query: "select customer_email from orders order by id limit 1", expect: nobody }
        - sql: { name: emails as numbers, query: "select sum(customer_email::int) from orders", expect: 0 }
notify: [team, ops, audit]
`;

interface Outputs {
  root: string;
  record: RunRecord;
  /** Everything that left the run, by where it went. */
  texts: Record<string, string>;
}

/** One whole drill as `drill run` makes it: run, store, post; then the reports and the summary. */
async function drill(show: boolean): Promise<Outputs> {
  const root = await makeProject({
    "config/drill.yaml": CONFIG,
    "drills/orphans.yaml": drillFile(show),
  });
  const loaded = await loadProject(root, {
    SLACK_URL: receiver.url("/slack"),
    TEAMS_URL: receiver.url("/teams"),
    HOOK_URL: receiver.url("/hook"),
  });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const project = loaded.project;
  const lines: string[] = [];
  const log = createLogger(
    "debug",
    new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) }),
  );
  const deps = {
    provider: templateCopyProvider(pg.connection, "shop"),
    clock: systemClock,
    log,
    resolvePath: resolverFor(root),
    resources: resourcesFor(project, "orphans"),
  };
  const { record } = await runDrill(
    project.drills.get("orphans")!,
    deps,
    new AbortController().signal,
    (e) => log.debug({ event: e }, "run event"),
  );
  const stored = await openHistory(project).save(record);
  receiver.received.length = 0;
  await notifyRun(project, record, { log, retryDelays: [] });
  const posts = Object.fromEntries(
    receiver.received.map((r) => [r.path.slice(1), JSON.stringify(r.body)]),
  );
  expect(Object.keys(posts).sort()).toEqual(["hook", "slack", "teams"]);
  return {
    root,
    record,
    texts: {
      stored: await readFile(join(root, stored), "utf8"),
      ...posts,
      log: lines.join(""),
      markdown: markdownReport(record),
      html: renderHtmlReport(record, []),
      summary: summaryLines(record, makeStyle(false)).join("\n"),
    },
  };
}

const checksOf = (r: RunRecord) =>
  r.steps.find((s) => s.kind === "verify")!.details.checks as CheckRecord[];

describe("values from the data stay out of messages", () => {
  let hidden: Outputs;
  beforeAll(async () => {
    hidden = await drill(false);
  });

  it("the run found what the data holds: three orphan rows, two keys, the checks failed", () => {
    expect(hidden.record.outcome).toBe("failed");
    const [orphans, value, cast] = checksOf(hidden.record);
    expect(orphans).toMatchObject({ outcome: "failed", measured: 3 });
    expect(orphans!.details).toMatchObject({ orphans: 3 });
    expect(value!.outcome).toBe("failed");
    expect(cast).toMatchObject({ outcome: "error" });
    // The log really was written at debug level, events included.
    expect(hidden.texts.log).toMatch(/"msg":"run event"/);
  });

  it("no value in the stored record, the posts, the log, the reports or the summary", () => {
    const leaks = Object.entries(hidden.texts).flatMap(([where, text]) =>
      found(text).map((v) => `${where}: ${v}`),
    );
    expect(leaks).toEqual([]);
  });

  it("examples are keyed hashes with a key kept on the runner, beside the count", async () => {
    const file = join(hidden.root, ".drill/examples.key");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const key = Buffer.from((await readFile(file, "utf8")).trim(), "hex");
    const hashes = ORPHANS.map((v) => exampleHash(key, v));
    const [orphans, value, cast] = checksOf(hidden.record);
    expect(orphans!.details!.examples).toEqual(hashes);
    expect(orphans!.message).toBe(
      `3 rows of orders point at missing customers.email, e.g. ${hashes.join(", ")} (keyed hashes; showExamples: true shows the values)`,
    );
    expect(value!.measured).toBe(exampleHash(key, CUSTOMER));
    // PostgreSQL's own words and its SQLSTATE, the quoted email cut out.
    expect(cast!.message).toBe('invalid input syntax for type integer: "…" (SQLSTATE 22P02)');
    for (const where of ["stored", "hook", "slack", "teams", "markdown"]) {
      expect({ where, hash: hidden.texts[where]!.includes(hashes[0]!) }).toEqual({
        where,
        hash: true,
      });
    }
    expect(hidden.texts.slack).toContain("3 rows of orders point at missing customers.email");
    // Not stored beside the records: the history holds none of the key.
    expect(hidden.texts.stored).not.toContain(key.toString("hex"));
  });

  it("with showExamples: true the values are recorded and posted as they are", async () => {
    const shown = await drill(true);
    const [orphans, value] = checksOf(shown.record);
    expect(orphans!.details!.examples).toEqual(ORPHANS);
    expect(orphans!.message).toBe(
      `3 rows of orders point at missing customers.email, e.g. ${ORPHANS.join(", ")}`,
    );
    expect(value!.measured).toBe(CUSTOMER);
    expect(found(shown.texts.stored!)).toEqual(expect.arrayContaining(ORPHANS));
    expect(found(shown.texts.slack!)).toEqual(expect.arrayContaining(ORPHANS));
    // PostgreSQL errors stay cut: showExamples is about what checks report.
    expect(checksOf(shown.record)[2]!.message).toContain('"…" (SQLSTATE 22P02)');
  });
});
