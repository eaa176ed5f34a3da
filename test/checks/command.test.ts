import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withSession } from "../../src/db.js";
import { tail } from "../../src/checks/command.js";
import { startTestCluster } from "../helpers/cluster.js";
import { runOn, seen } from "./run-helper.js";

let pg: Awaited<ReturnType<typeof startTestCluster>>;

beforeAll(async () => {
  pg = await startTestCluster();
  await withSession(pg.connection, (db) =>
    db.query("create table orders (id int); insert into orders select generate_series(1, 7)"),
  );
});
afterAll(async () => pg?.stop());

// A smoke test as a team would write it: connect through the environment alone and look.
const SMOKE = `
import pg from "pg";
for (const via of [{}, { connectionString: process.env.DATABASE_URL }]) {
  const c = new pg.Client(via);
  await c.connect();
  const { rows } = await c.query("select count(*)::int as n from orders");
  console.log("orders:", rows[0].n);
  await c.end();
}`;

describe("command", () => {
  it("passes on exit 0, reaching the copy through PG* and DATABASE_URL", async () => {
    const [r] = await runOn(pg.connection, [
      ["command", { name: "smoke", run: ["node", "--input-type=module", "-e", SMOKE] }],
    ]);
    expect(seen(r!)).toEqual(["smoke", "passed", 0, "exit 0"]);
    expect(r!.details).toEqual({ exitCode: 0, output: ["orders: 7", "orders: 7"] });
  });

  it("fails on another exit code, keeps the last 20 lines, never the password", async () => {
    const script = [
      "for i in $(seq 1 30); do echo line $i; done",
      'echo "password is $PGPASSWORD" >&2',
      // stdout and stderr are two pipes: give the stderr line time to arrive first.
      "sleep 0.3",
      'echo "url is $DATABASE_URL"',
      "exit 3",
    ].join("\n");
    const [r] = await runOn(pg.connection, [["command", { run: script }]]);
    expect(seen(r!)).toEqual(["command for", "failed", 3, "exit 0"]);
    const { port, user } = pg.connection;
    const output = [
      ...Array.from({ length: 18 }, (_, i) => `line ${i + 13}`),
      "password is ***",
      `url is postgresql://${user}:***@127.0.0.1:${port}/postgres`,
    ];
    expect(r!.details).toEqual({ exitCode: 3, output });
    expect(r!.message).toBe(`exit 3: url is postgresql://${user}:***@127.0.0.1:${port}/postgres`);
    expect(JSON.stringify(r)).not.toContain(pg.connection.password);
  });

  it("kills a command past its timeout, whatever it started", async () => {
    const started = Date.now();
    const [r] = await runOn(pg.connection, [
      ["command", { name: "hangs", run: "echo started; sleep 30 & wait", timeout: "500ms" }],
    ]);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(seen(r!)).toEqual(["hangs", "failed", "timed out", "exit 0"]);
    expect(r!.message).toBe("killed after 500ms");
    expect(r!.details!.output).toEqual(["started"]);
  });

  it("errors when the program does not exist; ignores a PGHOSTADDR it inherited", async () => {
    process.env.PGHOSTADDR = "192.0.2.1"; // would send libpq elsewhere
    try {
      const [missing, env] = await runOn(pg.connection, [
        ["command", { run: ["./no-such-smoke-test"] }],
        ["command", { run: 'test -z "$PGHOSTADDR" && test "$PGDATABASE" = postgres' }],
      ]);
      expect([missing!.outcome, missing!.message]).toEqual([
        "error",
        'cannot run "./no-such-smoke-test": spawn ./no-such-smoke-test ENOENT',
      ]);
      expect(env!.outcome).toBe("passed");
    } finally {
      delete process.env.PGHOSTADDR;
    }
  });

  it("passes on only the basics and its own env, and keeps those values out of the record", async () => {
    process.env.AWS_SECRET_ACCESS_KEY = "drill-own-aws-secret";
    try {
      const script = [
        'test -z "$AWS_SECRET_ACCESS_KEY" || { echo "leaked $AWS_SECRET_ACCESS_KEY"; exit 4; }',
        'test -n "$PATH" && test "$PGDATABASE" = postgres || exit 5',
        'echo "token $SMOKE_TOKEN"',
      ].join("\n");
      const env = { SMOKE_TOKEN: "tok-123456", PGHOST: "192.0.2.1" };
      const [r] = await runOn(pg.connection, [["command", { name: "envs", run: script, env }]]);
      expect(seen(r!)).toEqual(["envs", "passed", 0, "exit 0"]);
      // The token reached the command, and the record shows it only redacted.
      expect(r!.details).toEqual({ exitCode: 0, output: ["token ***"] });
    } finally {
      delete process.env.AWS_SECRET_ACCESS_KEY;
    }
  });

  it("drops a line cut by the rolling buffer so no fragment of a password survives", () => {
    expect(tail("t-secret\nok\n", true, ["pa-t-secret"])).toEqual(["ok"]);
    expect(tail("a pa%2Fss b\n", false, ["pa/ss"])).toEqual(["a *** b"]);
  });
});
