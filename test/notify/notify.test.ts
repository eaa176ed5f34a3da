import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadProject, type Project } from "../../src/definitions/project.js";
import { createLogger } from "../../src/log.js";
import { notifyRun } from "../../src/notify/notify.js";
import { outboxFor } from "../../src/notify/outbox.js";
import type { RunRecord } from "../../src/types.js";
import { makeProject } from "../helpers/project.js";
import { record } from "../history/helpers.js";
import { startReceiver } from "./receiver.js";

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let project: Project;
const logged: string[] = [];
const log = createLogger(
  "info",
  new Writable({ write: (c: Buffer, _e, done) => (logged.push(c.toString()), done()) }),
);
// The secret part of a webhook URL, as Slack's carry their token in the path.
const SECRET = "T000/B000/s3cr3t-t0ken";

beforeAll(async () => {
  receiver = await startReceiver();
  const root = await makeProject({
    "config/drill.yaml": [
      "environments:\n  sandbox: { provider: local }",
      "channels:",
      '  team: { slack: { webhookUrl: "${SLACK_URL}" } }',
      '  ops: { teams: { webhookUrl: "${TEAMS_URL}" }, on: failed }',
      '  audit: { webhook: { url: "${HOOK_URL}", headers: { x-token: "${HOOK_TOKEN}" } } }',
    ].join("\n"),
    "drills/nightly.yaml":
      "name: nightly\nenvironment: sandbox\nsteps:\n  - restore: { from: { snapshot: latest } }\nnotify: [team, ops, audit]\n",
  });
  const loaded = await loadProject(root, {
    SLACK_URL: receiver.url(`/slack/${SECRET}`),
    TEAMS_URL: receiver.url("/teams"),
    HOOK_URL: receiver.url("/hook"),
    HOOK_TOKEN: "hook-token-1",
  });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  project = loaded.project;
});
afterAll(async () => receiver?.close());

function failedRun(): RunRecord {
  const r = record("nightly", 5, "failed");
  r.measurements = {
    rtoMs: { value: 3_000_000, objective: 2_700_000, met: false },
    rpoMs: { value: 3_600_000, objective: 93_600_000, met: true },
    downtimeMs: { value: 4200, objective: 60_000, met: true },
    lostWrites: { value: 3, objective: 0, met: false },
  };
  r.steps = [
    {
      name: "verify",
      kind: "verify",
      startedAt: r.startedAt,
      durationMs: 20,
      outcome: "failed",
      details: {
        checks: [
          {
            name: "rowCount orders",
            kind: "rowCount",
            outcome: "failed",
            measured: 0,
            expected: ">= 100",
            durationMs: 3,
          },
          {
            name: "no negative payments",
            kind: "sql",
            outcome: "passed",
            measured: 0,
            expected: "= 0",
            durationMs: 2,
          },
        ],
      },
    },
  ];
  return r;
}

describe("channel reports", () => {
  it("posts Slack Block Kit, a Teams Adaptive Card and the record as JSON", async () => {
    receiver.received.length = 0;
    const run = failedRun();
    const deliveries = await notifyRun(project, run, { log, retryDelays: [] });
    expect(deliveries).toEqual([
      { channel: "team", delivered: true },
      { channel: "ops", delivered: true },
      { channel: "audit", delivered: true },
    ]);
    const by = Object.fromEntries(receiver.received.map((r) => [r.path.split("/")[1], r.body]));
    expect(by.slack).toEqual({
      text: "❌ nightly failed",
      blocks: [
        { type: "header", text: { type: "plain_text", text: "❌ nightly failed" } },
        {
          type: "section",
          fields: [
            { type: "mrkdwn", text: "*RTO*\n50m (objective 45m) missed" },
            { type: "mrkdwn", text: "*RPO*\n1h (objective 1d2h) met" },
            { type: "mrkdwn", text: "*Failover downtime*\n4.2s (objective 1m) met" },
            { type: "mrkdwn", text: "*Lost writes*\n3 (allowed 0) missed" },
          ],
        },
        {
          type: "section",
          text: {
            type: "mrkdwn",
            text: "*Failed checks*\n• rowCount orders: measured 0, expected &gt;= 100",
          },
        },
        {
          type: "section",
          text: {
            type: "mrkdwn",
            text: "*Findings*\n• verify: rowCount orders: measured 0, expected &gt;= 1",
          },
        },
        { type: "context", elements: [{ type: "mrkdwn", text: `run ${run.id} · sandbox · 1.5s` }] },
      ],
    });
    const card = (
      by.teams as {
        attachments: {
          contentType: string;
          content: {
            type: string;
            version: string;
            body: { type: string; text?: string; facts?: unknown }[];
          };
        }[];
      }
    ).attachments[0]!;
    expect(card.contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(card.content.type).toBe("AdaptiveCard");
    expect(card.content.body.map((b) => b.type)).toEqual([
      "TextBlock",
      "FactSet",
      "TextBlock",
      "TextBlock",
      "TextBlock",
      "TextBlock",
      "TextBlock",
    ]);
    expect(card.content.body[1]!.facts).toEqual([
      { title: "RTO", value: "50m (objective 45m) missed" },
      { title: "RPO", value: "1h (objective 1d2h) met" },
      { title: "Failover downtime", value: "4.2s (objective 1m) met" },
      { title: "Lost writes", value: "3 (allowed 0) missed" },
    ]);
    expect(by.hook).toEqual(run);
    expect(logged.join("")).not.toContain("s3cr3t");
  });

  it("posts a passed run only to channels that want all outcomes", async () => {
    receiver.received.length = 0;
    await notifyRun(project, record("nightly", 6), { log, retryDelays: [] });
    expect(receiver.received.map((r) => r.path.split("/")[1]).sort()).toEqual(["hook", "slack"]);
  });

  it("retries a failing receiver with backoff and delivers exactly once", async () => {
    receiver.received.length = 0;
    const before = receiver.attempts();
    receiver.failNext(2);
    const waits: number[] = [];
    const r = record("nightly", 7);
    const out = await notifyRun(
      {
        ...project,
        drills: new Map([
          [
            "nightly",
            {
              ...project.drills.get("nightly")!,
              drill: { ...project.drills.get("nightly")!.drill, notify: ["audit"] },
            },
          ],
        ]),
      },
      r,
      { log, retryDelays: [5, 10, 20], sleep: async (ms) => void waits.push(ms) },
    );
    expect(out).toEqual([{ channel: "audit", delivered: true }]);
    expect(receiver.attempts() - before).toBe(3);
    expect(waits).toEqual([5, 10]);
    expect(receiver.received).toEqual([{ path: "/hook", body: r }]);
    expect(await outboxFor(project.root).list()).toEqual([]);
  });

  it("keeps what it could not deliver in the outbox, without the URL", async () => {
    receiver.failNext(100);
    const out = await notifyRun(project, failedRun(), { log, retryDelays: [1] });
    receiver.failNext(0);
    expect(out.map((d) => [d.channel, d.delivered, d.error])).toEqual([
      ["team", false, "HTTP 500: try later"],
      ["ops", false, "HTTP 500: try later"],
      ["audit", false, "HTTP 500: try later"],
    ]);
    const kept = await outboxFor(project.root).list();
    expect(kept.map((e) => [e.channel, e.attempts]).sort()).toEqual([
      ["audit", 2],
      ["ops", 2],
      ["team", 2],
    ]);
    expect(JSON.stringify(kept)).not.toContain("s3cr3t");
    expect(JSON.stringify(kept)).not.toContain("hook-token-1");
    expect(logged.join("")).not.toContain("s3cr3t");
    expect(logged.join("")).not.toContain("hook-token-1");
  });
});
