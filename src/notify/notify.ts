import type { Channel } from "../definitions/config.js";
import type { Project } from "../definitions/project.js";
import type { Logger } from "../log.js";
import { systemClock, type Clock, type RunRecord } from "../types.js";
import { outboxFor, type Outbox, type OutboxEntry } from "./outbox.js";
import { payloadFor, type Notice } from "./payloads.js";
import { outboxBackoff, postOnce, type Fetch } from "./post.js";
import { sleep } from "../sleep.js";

export interface NotifyOptions {
  log: Logger;
  clock?: Clock;
  fetch?: Fetch;
  /** Waits between the immediate attempts (ms); the outbox takes over after the last. */
  retryDelays?: number[];
  sleep?: (ms: number) => Promise<void>;
  outbox?: Outbox;
  /** A link to the run's HTML report to put in the message (where the store made one). */
  reportUrl?: string;
}

/** How long a sender owns an entry it is posting before others may try it (a crash mid-post). */
const CLAIM_MS = 10 * 60_000;
const DEFAULT_DELAYS = [1_000, 3_000];

export interface Delivery {
  channel: string;
  delivered: boolean;
  error?: string;
}

/**
 * Post a stored run to the drill's channels (`notify:`), each as its `on` says. The message is
 * put in the outbox before the first attempt and removed once delivered, so a crash or a
 * channel that is down loses nothing: the daemon retries the outbox until it is empty.
 */
export async function notifyRun(
  project: Project,
  record: RunRecord,
  opts: NotifyOptions,
): Promise<Delivery[]> {
  const drill = project.drills.get(record.drill)?.drill;
  const names = (drill?.notify ?? []).filter((name) => {
    const channel = project.config.channels[name];
    return channel && (channel.on === "all" || record.outcome !== "passed");
  });
  return Promise.all(names.map((name) => send(project, name, record.drill, record, opts)));
}

/** Post a notice (a drill overdue) to the given channels, whatever their `on`. */
export async function notifyNotice(
  project: Project,
  channels: string[],
  notice: Notice,
  opts: NotifyOptions,
): Promise<Delivery[]> {
  const known = channels.filter((c) => project.config.channels[c]);
  return Promise.all(known.map((name) => send(project, name, notice.drill, notice, opts)));
}

async function send(
  project: Project,
  channel: string,
  drill: string,
  about: RunRecord | Notice,
  opts: NotifyOptions,
): Promise<Delivery> {
  const clock = opts.clock ?? systemClock;
  const outbox = opts.outbox ?? outboxFor(project.root);
  const entry = await outbox.add({
    channel,
    drill,
    about,
    ...(opts.reportUrl && "outcome" in about ? { reportUrl: opts.reportUrl } : {}),
    createdAt: new Date(clock.now()).toISOString(),
    attempts: 0,
    nextAttemptAt: clock.now() + CLAIM_MS,
  });
  const delays = opts.retryDelays ?? DEFAULT_DELAYS;
  const pause = opts.sleep ?? sleep;
  let error: string | undefined;
  for (let attempt = 0; attempt <= delays.length; attempt++) {
    if (attempt > 0) await pause(delays[attempt - 1]!);
    error = await attemptEntry(project, entry, opts);
    if (error === undefined) return { channel, delivered: true };
  }
  entry.nextAttemptAt = clock.now() + outboxBackoff(entry.attempts);
  await outbox.put(entry);
  opts.log.warn(
    { channel, drill, attempts: entry.attempts, error, outbox: entry.id },
    "channel post failed; kept in the outbox for the daemon to retry",
  );
  return { channel, delivered: false, error: error! };
}

/** One attempt; removes the entry when delivered. Returns why it failed, or undefined. */
async function attemptEntry(
  project: Project,
  entry: OutboxEntry,
  opts: NotifyOptions,
): Promise<string | undefined> {
  const outbox = opts.outbox ?? outboxFor(project.root);
  const channel: Channel | undefined = project.config.channels[entry.channel];
  if (!channel) {
    opts.log.warn(
      { channel: entry.channel, outbox: entry.id },
      "channel no longer configured; message dropped",
    );
    await outbox.remove(entry.id);
    return undefined;
  }
  entry.attempts++;
  const error = await postOnce(channel, payloadFor(channel, entry.about, entry.reportUrl), {
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  entry.lastError = error;
  if (error === undefined) {
    await outbox.remove(entry.id);
    opts.log.info(
      { channel: entry.channel, drill: entry.drill, attempts: entry.attempts },
      "posted to channel",
    );
  }
  return error;
}

/**
 * Retry what the outbox holds whose time has come (the daemon, at start and every minute).
 * Each entry is claimed first, so a `drill run` posting at the same moment is not doubled.
 */
export async function deliverOutbox(
  project: Project,
  opts: NotifyOptions,
): Promise<{ delivered: number; pending: number }> {
  const clock = opts.clock ?? systemClock;
  const outbox = opts.outbox ?? outboxFor(project.root);
  let delivered = 0;
  let pending = 0;
  for (const entry of await outbox.list()) {
    if (entry.nextAttemptAt > clock.now()) {
      pending++;
      continue;
    }
    entry.nextAttemptAt = clock.now() + CLAIM_MS;
    await outbox.put(entry);
    const error = await attemptEntry(project, entry, opts);
    if (error === undefined) {
      delivered++;
      continue;
    }
    pending++;
    entry.nextAttemptAt = clock.now() + outboxBackoff(entry.attempts);
    await outbox.put(entry);
    opts.log.warn(
      { channel: entry.channel, drill: entry.drill, attempts: entry.attempts, error },
      "channel post failed again; kept in the outbox",
    );
  }
  return { delivered, pending };
}
