/**
 * Secrets canary: every secret drill is given (webhook URLs and a header token, the scrub
 * secret, a history store password, AWS keys, the evidence signing key) is a unique marker. Drills that pass and that fail
 * run through the built CLI (`npm run build` first) on a small local sandbox, with debug logs;
 * then `drill report latest --html`, `drill history --json` and `drill verify-evidence`. No marker
 * may appear in stdout, stderr, the logs, any file the runs left (run records, their signed
 * envelopes decoded too, outbox, HTML report) or a posted body.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASE } from "../hostile/mutate.js";
import { makeProject, runCli, type CliResult } from "../helpers/project.js";
import { seedSandbox } from "../helpers/seeded-sandbox.js";
import { startReceiver } from "../notify/receiver.js";
import { processesNaming } from "../helpers/processes.js";

const marker = (what: string) => `canary${what}${randomBytes(8).toString("hex")}`;
const M = {
  slack: marker("slack"),
  teams: marker("teams"),
  hook: marker("hook"),
  hookToken: marker("hooktoken"),
  scrub: marker("scrubsecret"),
  historyPassword: marker("pgpass"),
  awsKey: marker("AKIA"),
  awsSecret: marker("awssecret"),
  awsSession: marker("awssession"),
};
// The evidence signing key, given as DRILL_SIGNING_KEY: its base64 body is the marker.
const SIGNING_KEY = generateKeyPairSync("ed25519")
  .privateKey.export({ type: "pkcs8", format: "pem" })
  .toString();
Object.assign(M, { signingKey: SIGNING_KEY.split("\n")[1]! });
const MARKERS = Object.values(M);

/** The markers found in `text`, by name. */
const leaked = (text: string) =>
  Object.entries(M)
    .filter(([, m]) => text.includes(m))
    .map(([k]) => k);

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let root: string;
let env: Record<string, string>;
const outputs: { what: string; result: CliResult }[] = [];

// The repository's scrubber, made deterministic with a secret from the environment.
const SCRUBBER = BASE.scrubber.replace(
  "deterministic: false",
  'secret: "${SCRUB_SECRET}"\ndeterministic: true',
);

const CONFIG = `
environments:
  sandbox: { provider: local, scale: 0.02 }
history: { store: file, path: .drill/history }
channels:
  team: { slack: { webhookUrl: "\${SLACK_WEBHOOK_URL}" } }
  ops: { teams: { webhookUrl: "\${TEAMS_WEBHOOK_URL}" } }
  audit: { webhook: { url: "\${HOOK_URL}", headers: { x-token: "\${HOOK_TOKEN}" } } }
`;

const drill = (name: string, extraChecks: string) => `
name: ${name}
environment: sandbox
objectives: { rto: 5m, rpo: 26h }
steps:
  - restore: { from: { snapshot: latest }, newestData: orders.created_at }
  - scrub: { scrubber: shop }
  - verify:
      checks:
        - rowCount: { table: customers, min: 100 }
${extraChecks}
notify: [team, ops, audit]
`;

beforeAll(async () => {
  receiver = await startReceiver();
  root = await makeProject({
    "config/drill.yaml": CONFIG,
    "scrubbers/shop.yaml": SCRUBBER,
    // The copy's credentials, as the team's smoke test sees them, written where the test reads them.
    "drills/canary-pass.yaml": drill(
      "canary-pass",
      `        - command: { name: copy credentials, run: 'printf %s "$PGPASSWORD" > staging-password.txt' }`,
    ),
    "drills/canary-fail.yaml": drill(
      "canary-fail",
      `        - sql: { name: fails on purpose, query: "select count(*) from customers", expect: 0 }`,
    ),
  });
  await seedSandbox(root);
  env = {
    DRILL_LOG_LEVEL: "debug",
    SLACK_WEBHOOK_URL: receiver.url(`/services/T000/B000/${M.slack}`),
    TEAMS_WEBHOOK_URL: receiver.url(`/teams?token=${M.teams}`),
    HOOK_URL: receiver.url(`/hook/${M.hook}?sig=${M.hook}`),
    HOOK_TOKEN: M.hookToken,
    SCRUB_SECRET: M.scrub,
    AWS_ACCESS_KEY_ID: M.awsKey,
    AWS_SECRET_ACCESS_KEY: M.awsSecret,
    AWS_SESSION_TOKEN: M.awsSession,
    AWS_REGION: "eu-west-1",
    DRILL_SIGNING_KEY: SIGNING_KEY,
  };
  const cli = async (what: string, args: string[]) => {
    const result = await runCli(args, { cwd: root, env });
    outputs.push({ what, result });
    return result;
  };
  const pass = await cli("run canary-pass", ["run", "canary-pass"]);
  expect(pass.code, pass.stderr).toBe(0);
  // Every post fails now: the failed run's messages stay in the outbox.
  receiver.failNext(1000);
  const fail = await cli("run canary-fail --json", ["run", "canary-fail", "--json"]);
  expect(fail.code, fail.stderr).toBe(1);
  receiver.failNext(0);
  const report = await cli("report latest --html", ["report", "latest", "--html", "report.html"]);
  expect(report.code, report.stderr).toBe(0);
  const history = await cli("history --json", ["history", "--json"]);
  expect(history.code, history.stderr).toBe(0);
  const text = await cli("report latest", ["report", "latest"]);
  expect(text.code, text.stderr).toBe(0);
  const evidence = await cli("verify-evidence", ["verify-evidence"]);
  expect(evidence.code, evidence.stdout + evidence.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  await receiver?.close();
  if (root) {
    expect(processesNaming(root)).toEqual([]);
    await rm(root, { recursive: true, force: true });
  }
});

/** Every file under `dir`, with its bytes. */
async function filesUnder(dir: string): Promise<{ path: string; bytes: Buffer }[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  return Promise.all(files.map(async (path) => ({ path, bytes: await readFile(path) })));
}

describe("secrets canary", () => {
  it("the runs really used the secrets: posts arrived, the failed run's wait in the outbox", async () => {
    // Pass run: team, ops, audit delivered; the fail run's three posts were refused.
    expect(receiver.received.map((r) => r.path.split(/[/?]/)[1]).sort()).toEqual([
      "hook",
      "services",
      "teams",
    ]);
    const outbox = await readdir(join(root, ".drill/outbox"));
    expect(outbox.filter((f) => f.endsWith(".json"))).toHaveLength(3);
    // The runs went through scrub with the secret (deterministic fakes need it).
    const record = JSON.parse(outputs[1]!.result.stdout) as {
      outcome: string;
      steps: { kind: string; outcome: string }[];
    };
    expect(record.outcome).toBe("failed");
    expect(record.steps.map((s) => [s.kind, s.outcome])).toEqual([
      ["restore", "passed"],
      ["scrub", "passed"],
      ["verify", "failed"],
      ["cleanup", "passed"],
    ]);
  });

  it("no marker in stdout or stderr (debug logs included) of any command", () => {
    expect(outputs.map((o) => o.what)).toEqual([
      "run canary-pass",
      "run canary-fail --json",
      "report latest --html",
      "history --json",
      "report latest",
      "verify-evidence",
    ]);
    // The logs really were on (DRILL_LOG_LEVEL=debug): pino lines on stderr.
    expect(outputs[0]!.result.stderr).toMatch(/^\{"level":30,.*"msg":"posted to channel"\}$/m);
    for (const { what, result } of outputs) {
      expect({ what, stdout: leaked(result.stdout), stderr: leaked(result.stderr) }).toEqual({
        what,
        stdout: [],
        stderr: [],
      });
    }
  });

  it("no marker in any file the runs left: records, outbox, HTML report, sandbox", async () => {
    const files = await filesUnder(root);
    const paths = files.map((f) => f.path.slice(root.length + 1));
    expect(paths).toContain("report.html");
    expect(paths.some((p) => p.startsWith(".drill/history/canary-pass/"))).toBe(true);
    expect(paths.some((p) => p.startsWith(".drill/history/canary-fail/"))).toBe(true);
    const found = files.flatMap(({ path, bytes }) =>
      MARKERS.filter((m) => bytes.includes(m)).map((m) => `${path.slice(root.length + 1)}: ${m}`),
    );
    // config/drill.yaml and scrubbers/shop.yaml hold only `${NAME}`, so nothing may match.
    expect(found).toEqual([]);
    // Each run's signed envelope: its statement is base64 inside, so it is looked at decoded.
    const envelopes = files.filter((f) => f.path.endsWith(".intoto.jsonl"));
    expect(envelopes.map((f) => f.path.split("/").at(-2)).sort()).toEqual([
      "canary-fail",
      "canary-pass",
    ]);
    for (const { path, bytes } of envelopes) {
      const { payload } = JSON.parse(bytes.toString()) as { payload: string };
      const statement = Buffer.from(payload, "base64").toString();
      expect(statement).toContain('"predicateType"');
      expect({ path, leaked: leaked(statement) }).toEqual({ path, leaked: [] });
    }
  });

  it("no marker in a posted body (only the URL, where the secret lives, may carry it)", () => {
    expect(receiver.received.length).toBe(3);
    for (const { body } of receiver.received) expect(leaked(JSON.stringify(body))).toEqual([]);
  });

  it("the staging copy had its own password, neither it nor the sandbox's in the records", async () => {
    const staging = await readFile(join(root, "staging-password.txt"), "utf8");
    const sandbox = (await readFile(join(root, ".drill/sandbox/password"), "utf8")).trim();
    expect(staging.length).toBeGreaterThanOrEqual(16);
    expect(sandbox.length).toBeGreaterThanOrEqual(16);
    expect(staging).not.toBe(sandbox);
    const records = (await filesUnder(join(root, ".drill/history"))).map((f) => f.bytes);
    expect(records.length).toBeGreaterThanOrEqual(2);
    for (const bytes of records) {
      expect(bytes.includes(staging)).toBe(false);
      expect(bytes.includes(sandbox)).toBe(false);
    }
    for (const { result } of outputs) {
      expect(result.stdout.includes(staging) || result.stderr.includes(staging)).toBe(false);
      expect(result.stdout.includes(sandbox) || result.stderr.includes(sandbox)).toBe(false);
    }
  });
});

describe("a PostgreSQL history store whose URL holds the password", () => {
  it("never shows the password when the store cannot be reached", async () => {
    const project = await makeProject({
      "config/drill.yaml": `environments:\n  sandbox: { provider: local }\nhistory: { store: postgres, url: "\${HISTORY_URL}" }\n`,
    });
    try {
      const url = `postgres://drill:${M.historyPassword}@127.0.0.1:1/drill_history`;
      const cases: [string[], number][] = [
        [["history", "--json"], 3],
        [["history"], 3],
        [["report", "latest"], 3],
        [["list"], 0],
      ];
      for (const [args, code] of cases) {
        const r = await runCli(args, {
          cwd: project,
          env: { HISTORY_URL: url, DRILL_LOG_LEVEL: "debug" },
        });
        expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(code);
        if (code === 3)
          expect(r.stderr).toContain("PostgreSQL history store: connect ECONNREFUSED");
        expect({ args, out: leaked(r.stdout), err: leaked(r.stderr) }).toEqual({
          args,
          out: [],
          err: [],
        });
      }
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  });
});
