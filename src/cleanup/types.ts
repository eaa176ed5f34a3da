import type { Project } from "../definitions/project.js";
import type { Environment } from "../definitions/config.js";
import type { Logger } from "../log.js";
import type { AwsClients } from "../providers/aws/clients.js";
import type { WaitSettings } from "../providers/aws/wait.js";
import { errorText } from "../redact.js";

/** Something a dead or expired run left behind, found by `drill cleanup`, with how to remove it. */
export interface Leftover {
  /** "run folder", "sandbox primary", "lock", "rds instance", … */
  kind: string;
  /** Which one: a path (relative inside the project) or an AWS identifier. */
  what: string;
  /** Why it goes: "runner pid 4242 died", "expired 2026-11-28T10:00:00Z", … */
  why: string;
  runId?: string;
  /** What removing it means: delete (default), stop a server and keep its data, store a record. */
  action?: "remove" | "stop" | "record";
  remove(): Promise<void>;
}

export interface CleanupItem {
  kind: string;
  what: string;
  why: string;
  runId?: string;
  action: "remove" | "stop" | "record";
  /** `removed` (done), `listed` (dry run) or `failed` (with the error). */
  status: "removed" | "listed" | "failed";
  error?: string;
}

export interface CleanupOptions {
  /** List what would be removed; remove nothing. */
  dryRun?: boolean;
  /** Only this environment's leftovers (default: every environment in config). */
  environment?: string;
  /** Epoch ms, for expiry (tests). */
  now?: number;
  log?: Logger;
  /** Tests inject SDK clients (aws-sdk-client-mock) and fast waiter settings. */
  aws?: {
    clients?(name: string, env: Extract<Environment, { provider: "aws" }>): AwsClients;
    waits?: Partial<WaitSettings>;
  };
}

export interface CleanupScope {
  project: Project;
  /** The environments selected, by name. */
  environments: string[];
  now: number;
  dryRun: boolean;
}

/** Paths inside the project are shown relative to it; clusters kept elsewhere in full. */
export const shown = (root: string, p: string): string =>
  p.startsWith(`${root}/`) ? p.slice(root.length + 1) : p;

export const msg = errorText;
