import type { Channel } from "../definitions/config.js";
import type { RunRecord } from "../types.js";
import { runFacts, type RunFacts } from "./facts.js";

/** A message that is not about one run: a drill overdue, for instance. */
export interface Notice {
  drill: string;
  title: string;
  text: string;
}

/** The body posted to a channel for a run or a notice. */
export function payloadFor(channel: Channel, about: RunRecord | Notice, reportUrl?: string) {
  const isRun = "outcome" in about;
  if ("webhook" in channel)
    return isRun
      ? { ...about, ...(reportUrl ? { reportUrl } : {}) }
      : { type: "notice", drill: about.drill, title: about.title, text: about.text };
  const facts: RunFacts = isRun
    ? runFacts(about, reportUrl)
    : {
        title: about.title,
        passed: false,
        objectives: [],
        extras: [],
        failedChecks: [],
        findings: [about.text],
        footer: `drill ${about.drill}`,
      };
  return "slack" in channel ? slackMessage(facts) : teamsMessage(facts);
}

/** Slack incoming webhook: Block Kit, with `text` as the notification fallback. */
export function slackMessage(facts: RunFacts) {
  const blocks: object[] = [{ type: "header", text: { type: "plain_text", text: facts.title } }];
  const fields = [...facts.objectives, ...facts.extras].map((x) => ({
    type: "mrkdwn",
    text: `*${x.label}*\n${escapeSlack(x.text)}`,
  }));
  // Slack allows at most 10 fields per section.
  for (let i = 0; i < fields.length; i += 10)
    blocks.push({ type: "section", fields: fields.slice(i, i + 10) });
  if (facts.failedChecks.length > 0)
    blocks.push(
      section(
        `*Failed checks*\n${facts.failedChecks.map((c) => `• ${escapeSlack(c)}`).join("\n")}`,
      ),
    );
  if (facts.findings.length > 0 && !facts.passed)
    blocks.push(
      section(`*Findings*\n${facts.findings.map((c) => `• ${escapeSlack(c)}`).join("\n")}`),
    );
  if (facts.reportUrl)
    blocks.push({
      type: "actions",
      elements: [
        {
          type: "button",
          text: { type: "plain_text", text: "Open the report" },
          url: facts.reportUrl,
          action_id: "drill-report",
        },
      ],
    });
  blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: escapeSlack(facts.footer) }] });
  return { text: facts.title, blocks };
}

/** Teams workflow webhook ("When a Teams webhook request is received"): an Adaptive Card. */
export function teamsMessage(facts: RunFacts) {
  const body: object[] = [
    {
      type: "TextBlock",
      size: "Large",
      weight: "Bolder",
      text: facts.title,
      color: facts.passed ? "Good" : "Attention",
      wrap: true,
    },
  ];
  const factSet = [...facts.objectives, ...facts.extras].map((x) => ({
    title: x.label,
    value: x.text,
  }));
  if (factSet.length > 0) body.push({ type: "FactSet", facts: factSet });
  if (facts.failedChecks.length > 0) {
    body.push({ type: "TextBlock", text: "Failed checks", weight: "Bolder", wrap: true });
    body.push({
      type: "TextBlock",
      text: facts.failedChecks.map((c) => `- ${c}`).join("\n"),
      wrap: true,
    });
  }
  if (facts.findings.length > 0 && !facts.passed) {
    body.push({ type: "TextBlock", text: "Findings", weight: "Bolder", wrap: true });
    body.push({
      type: "TextBlock",
      text: facts.findings.map((c) => `- ${c}`).join("\n"),
      wrap: true,
    });
  }
  body.push({ type: "TextBlock", text: facts.footer, isSubtle: true, size: "Small", wrap: true });
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body,
          ...(facts.reportUrl
            ? {
                actions: [
                  { type: "Action.OpenUrl", title: "Open the report", url: facts.reportUrl },
                ],
              }
            : {}),
        },
      },
    ],
  };
}

const section = (text: string) => ({ type: "section", text: { type: "mrkdwn", text } });

/** Slack's mrkdwn treats &, < and > as markup. */
const escapeSlack = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
