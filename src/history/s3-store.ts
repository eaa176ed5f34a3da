import type { S3Client, S3ClientConfig } from "@aws-sdk/client-s3";
import { platformError } from "../errors.js";
import type { RunRecord } from "../types.js";
import { canonicalRecord } from "../evidence/canonical.js";
import { drillOfRunId } from "../run-id.js";
import { newestFirst, type HistoryStore, type StoredEvidence } from "./store.js";

const ENVELOPE = ".intoto.jsonl";

export interface S3StoreOptions {
  /** `s3://bucket/prefix`. */
  url: string;
  region?: string;
  endpoint?: string;
  /** How long a report link stays valid (default and maximum: 7 days). */
  reportLinkTtlMs?: number;
  /** Extra client settings (tests pass s3rver's credentials); production uses the default chain. */
  client?: Partial<S3ClientConfig>;
}

/**
 * One object per run under `<prefix>/runs/<drill>/<run id>.json` holding the record's canonical
 * bytes, its signed envelope beside it as `<run id>.intoto.jsonl`. S3 has no lock a replica
 * could hold, so with this store one daemon runs the schedule (see the README).
 */
export class S3HistoryStore implements HistoryStore {
  readonly kind = "s3";
  private readonly bucket: string;
  private readonly prefix: string;
  private client?: Promise<S3Client>;

  constructor(private readonly opts: S3StoreOptions) {
    const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(opts.url)!;
    this.bucket = m[1]!;
    this.prefix = m[2] ? `${m[2].replace(/\/+$/, "")}/` : "";
  }

  private s3(): Promise<S3Client> {
    // The SDK is large: loaded only by commands that read or write this history.
    this.client ??= import("@aws-sdk/client-s3").then(
      ({ S3Client }) =>
        new S3Client({
          ...(this.opts.region ? { region: this.opts.region } : {}),
          ...(this.opts.endpoint ? { endpoint: this.opts.endpoint, forcePathStyle: true } : {}),
          // Streamed bodies are checksummed only where S3 requires it: S3-compatible servers
          // otherwise store them wrapped in aws-chunked framing.
          requestChecksumCalculation: "WHEN_REQUIRED",
          responseChecksumValidation: "WHEN_REQUIRED",
          ...this.opts.client,
        }),
    );
    return this.client;
  }

  private key(drill: string, id: string) {
    return `${this.prefix}runs/${drill}/${id}.json`;
  }

  async save(record: RunRecord, envelope?: string): Promise<string> {
    const { DeleteObjectCommand, PutObjectCommand } = await import("@aws-sdk/client-s3");
    const key = this.key(record.drill, record.id);
    const put = (Key: string, Body: string, ContentType: string) =>
      this.call("store the run record", (s3) =>
        s3.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body, ContentType })),
      );
    await put(key, canonicalRecord(record), "application/json");
    const beside = this.envelopeKey(key);
    if (envelope !== undefined) await put(beside, `${envelope}\n`, "application/jsonl");
    // A record saved again unsigned must not keep the envelope of the one it replaces.
    else
      await this.call("store the run record", (s3) =>
        s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: beside })),
      );
    return this.storedAt(key);
  }

  private storedAt(key: string) {
    return `s3://${this.bucket}/${key}`;
  }

  private envelopeKey(recordKey: string) {
    return `${recordKey.slice(0, -".json".length)}${ENVELOPE}`;
  }

  /**
   * Store the run's HTML report beside its record and return a pre-signed GET URL for it: the
   * bucket stays private, and the link opens that one report until it expires.
   */
  async publishReport(record: RunRecord, html: string): Promise<string> {
    const { GetObjectCommand, PutObjectCommand } = await import("@aws-sdk/client-s3");
    const { getSignedUrl } = await import("@aws-sdk/s3-request-presigner");
    const target = {
      Bucket: this.bucket,
      Key: `${this.prefix}reports/${record.drill}/${record.id}.html`,
    };
    const body = { ...target, Body: html, ContentType: "text/html; charset=utf-8" };
    await this.call("store the HTML report", (s3) => s3.send(new PutObjectCommand(body)));
    const expiresIn = Math.floor((this.opts.reportLinkTtlMs ?? 7 * 86_400_000) / 1000);
    return this.call("sign the report link", (s3) =>
      getSignedUrl(s3, new GetObjectCommand(target), { expiresIn }),
    );
  }

  async list(drill?: string, opts: { limit?: number } = {}): Promise<RunRecord[]> {
    const keys = (await this.keys(drill)).filter((k) => k.endsWith(".json"));
    // Run ids start with their time: newest first by name, so `limit` reads only what it needs.
    const id = (k: string) => k.slice(k.lastIndexOf("/") + 1, -5);
    keys.sort((a, b) => id(b).localeCompare(id(a)));
    const wanted = keys.slice(0, opts.limit ?? Infinity);
    const records = await Promise.all(wanted.map((k) => this.read(k)));
    return records.filter((r): r is RunRecord => r !== undefined).sort(newestFirst);
  }

  async evidence(drill?: string): Promise<StoredEvidence[]> {
    const byId = new Map<string, { drill: string; record?: string; envelope?: string }>();
    for (const key of await this.keys(drill)) {
      const m = /\/runs\/([^/]+)\/([^/]+?)(\.json|\.intoto\.jsonl)$/.exec(`/${key}`);
      if (!m) continue;
      const entry = byId.get(m[2]!) ?? { drill: m[1]! };
      if (m[3] === ".json") entry.record = key;
      else entry.envelope = key;
      byId.set(m[2]!, entry);
    }
    return Promise.all(
      [...byId].map(async ([id, e]) => {
        const recordKey = e.record ?? this.key(e.drill, id);
        const [bytes, envelope] = await Promise.all([
          e.record ? this.text(e.record) : undefined,
          e.envelope ? this.text(e.envelope) : undefined,
        ]);
        return {
          id,
          drill: e.drill,
          storedAt: this.storedAt(recordKey),
          ...(bytes !== undefined ? { bytes } : {}),
          ...(envelope !== undefined ? { envelope } : {}),
        };
      }),
    );
  }

  /** Every object key under the runs prefix (of one drill). */
  private async keys(drill?: string): Promise<string[]> {
    const { ListObjectsV2Command } = await import("@aws-sdk/client-s3");
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.call("list run records", (s3) =>
        s3.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: `${this.prefix}runs/${drill ? `${drill}/` : ""}`,
            ContinuationToken: token,
          }),
        ),
      );
      keys.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async get(id: string): Promise<RunRecord | undefined> {
    const drill = drillOfRunId(id);
    return drill ? this.read(this.key(drill, id)) : undefined;
  }

  async close(): Promise<void> {
    if (this.client) (await this.client).destroy();
    this.client = undefined;
  }

  private async read(key: string): Promise<RunRecord | undefined> {
    const text = await this.text(key);
    if (text === undefined) return undefined;
    try {
      return { ...(JSON.parse(text) as RunRecord), storedAt: this.storedAt(key) };
    } catch {
      return undefined; // damaged by hand: not ours to fail on (verify-evidence reports it)
    }
  }

  /** An object's text; undefined when there is no such object. */
  private async text(key: string): Promise<string | undefined> {
    const { GetObjectCommand, NoSuchKey } = await import("@aws-sdk/client-s3");
    try {
      const out = await (
        await this.s3()
      ).send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return await out.Body!.transformToString();
    } catch (e) {
      if (e instanceof NoSuchKey || (e as { name?: string }).name === "NoSuchKey") return undefined;
      throw this.failure("read a run record", e);
    }
  }

  private async call<T>(what: string, fn: (s3: S3Client) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.s3());
    } catch (e) {
      throw this.failure(what, e);
    }
  }

  private failure(what: string, e: unknown) {
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return platformError(
      "HISTORY_S3",
      `cannot ${what} in s3://${this.bucket}/${this.prefix}: ${message}`,
      "check the bucket, the region and the AWS credentials (the SDK's default chain: env, profile, role)",
      e,
    );
  }
}
