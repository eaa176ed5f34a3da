import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadProject, type Project } from "../../src/definitions/project.js";
import { closeHistories, openHistory } from "../../src/history/open.js";
import { createLogger } from "../../src/log.js";
import { notifyRun } from "../../src/notify/notify.js";
import { publishReport } from "../../src/notify/report-link.js";
import { makeProject } from "../helpers/project.js";
import { record } from "../history/helpers.js";
import { startS3rver } from "../helpers/s3rver.js";
import { startReceiver } from "./receiver.js";

/**
 * With the S3 history store, each posted run links its HTML report by a pre-signed URL: stored
 * in the private bucket beside the record, readable with the link, not without it.
 */
let s3: Awaited<ReturnType<typeof startS3rver>>;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let project: Project;
let stopped = false;
const AWS_KEYS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] as const;
const saved: Record<string, string | undefined> = {};
const logged: string[] = [];
const log = createLogger(
  "info",
  new Writable({ write: (c: Buffer, _e, done) => (logged.push(c.toString()), done()) }),
);

beforeAll(async () => {
  s3 = await startS3rver(["drill-runs"]);
  receiver = await startReceiver();
  // The store takes credentials from the SDK's default chain; s3rver accepts only this pair.
  // Put back after the file: test files share a worker's process (isolate: false).
  for (const k of AWS_KEYS) saved[k] = process.env[k];
  process.env.AWS_ACCESS_KEY_ID = s3.client.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = s3.client.credentials.secretAccessKey;
  const root = await makeProject({
    "config/drill.yaml": [
      "environments:\n  sandbox: { provider: local }",
      'history: { store: s3, url: "s3://drill-runs/team", region: us-east-1, endpoint: "${S3_URL}", reportLinkTtl: 2h }',
      "channels:",
      '  team: { slack: { webhookUrl: "${SLACK_URL}" } }',
      '  ops: { teams: { webhookUrl: "${TEAMS_URL}" } }',
      '  audit: { webhook: { url: "${HOOK_URL}" } }',
    ].join("\n"),
    "drills/nightly.yaml":
      "name: nightly\nenvironment: sandbox\nsteps:\n  - restore: { from: { snapshot: latest } }\nnotify: [team, ops, audit]\n",
  });
  const loaded = await loadProject(root, {
    S3_URL: s3.endpoint,
    SLACK_URL: receiver.url("/slack"),
    TEAMS_URL: receiver.url("/teams"),
    HOOK_URL: receiver.url("/hook"),
  });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  project = loaded.project;
}, 30_000);
afterAll(async () => {
  for (const k of AWS_KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  await closeHistories();
  await receiver?.close();
  if (!stopped) await s3?.stop();
});

describe("report links in channel messages", () => {
  it("stores the HTML report privately and posts a pre-signed link to it", async () => {
    const run = record("nightly", 7, "failed");
    await openHistory(project).save(run);
    const url = await publishReport(project, run, await openHistory(project).list("nightly"), log);
    expect(url).toBeDefined();
    const link = new URL(url!);
    expect(link.pathname).toBe(`/drill-runs/team/reports/nightly/${run.id}.html`);
    expect(link.searchParams.get("X-Amz-Expires")).toBe("7200");

    const opened = await fetch(url!);
    expect(opened.status).toBe(200);
    expect(opened.headers.get("content-type")).toContain("text/html");
    const html = await opened.text();
    expect(html).toContain("<!doctype html>");
    expect(html).toContain(run.id);
    // A SigV4 query-signed GET (s3rver neither enforces bucket ACLs nor checks query
    // signatures, so that a bare or forged link is refused cannot be shown here).
    expect(link.searchParams.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
    expect(link.searchParams.get("X-Amz-Credential")).toMatch(/^S3RVER\/\d{8}\/us-east-1\/s3\//);
    expect(link.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);

    receiver.received.length = 0;
    await notifyRun(project, run, { log, retryDelays: [], reportUrl: url! });
    const by = Object.fromEntries(receiver.received.map((r) => [r.path.slice(1), r.body]));
    const slack = by.slack as { blocks: { type: string; elements?: { url?: string }[] }[] };
    expect(slack.blocks.find((b) => b.type === "actions")?.elements?.[0]?.url).toBe(url);
    const teams = by.teams as {
      attachments: { content: { actions?: { type: string; url: string }[] } }[];
    };
    expect(teams.attachments[0]!.content.actions).toEqual([
      { type: "Action.OpenUrl", title: "Open the report", url },
    ]);
    expect((by.hook as { reportUrl?: string }).reportUrl).toBe(url);
    // Logs say a post went out; the link (a bearer grant) is not logged.
    expect(logged.join("")).not.toContain("X-Amz-Signature");
  });

  it("posts without a link where the store cannot serve one, and says why in the log", async () => {
    await s3.stop(); // the store is unreachable now
    stopped = true;
    const run = record("nightly", 8, "failed");
    expect(await publishReport(project, run, [], log)).toBeUndefined();
    expect(logged.join("")).toContain("cannot publish the report");
  });
});
