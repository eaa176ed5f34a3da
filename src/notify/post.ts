import type { Channel } from "../definitions/config.js";

export type Fetch = typeof fetch;

/**
 * POST one message. Resolves with nothing on a 2xx, or with why it failed. The reason never
 * holds the URL: a webhook URL is a credential (Slack's and Teams' carry their token in the path).
 */
export async function postOnce(
  channel: Channel,
  body: unknown,
  opts: { fetch?: Fetch; timeoutMs?: number } = {},
): Promise<string | undefined> {
  const { url, headers } =
    "slack" in channel
      ? { url: channel.slack.webhookUrl, headers: {} }
      : "teams" in channel
        ? { url: channel.teams.webhookUrl, headers: {} }
        : { url: channel.webhook.url, headers: channel.webhook.headers ?? {} };
  try {
    const res = await (opts.fetch ?? fetch)(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
    });
    // Drain the body so the connection is reused or closed.
    const text = await res.text().catch(() => "");
    if (res.ok) return undefined;
    const said = text.split(url).join("<url>").slice(0, 120).replace(/\s+/g, " ");
    return `HTTP ${res.status}${said ? `: ${said}` : ""}`;
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause;
    if ((e as Error).name === "TimeoutError") return "timed out";
    return `network error${cause?.code ? ` (${cause.code})` : ""}`;
  }
}

/** Delay before retry n (0-based) from the outbox: 30s, 1m, 2m, … up to an hour. */
export const outboxBackoff = (attempts: number) =>
  Math.min(3_600_000, 30_000 * 2 ** Math.max(0, attempts - 1));
