/** What the `s3-restore` step asks of a provider's object store (S3): part of the contract. */

/** One object version chosen for a bucket restore. */
export interface ObjectVersion {
  key: string;
  /** Absent where the bucket keeps no versions. */
  versionId: string | undefined;
  etag: string;
  size: number;
  lastModified: Date;
}

/** The run's own bucket: made for it, tagged with the run and an expiry, removed by cleanup. */
export interface StagingBucket {
  name: string;
  /** False where the store accepted the bucket but not its tags. */
  tagged: boolean;
  /** Delete it and everything in it; refuses any bucket the run did not make. */
  remove(): Promise<void>;
}

export interface CopyCheck {
  objects: number;
  /** Objects whose SHA-256 had to be computed (multipart ETags, or `sha256` mode). */
  computed: number;
  mismatches: string[];
}

/** One call a restore would make, as `drill plan` lists it. */
export interface PlannedCall {
  call: string;
  params?: Record<string, string>;
  note?: string;
}

export interface ObjectStore {
  /** The calls a restore of `source` would make, for `drill plan`. */
  planRestore(o: {
    source: string;
    stagingBucket: string;
    verify: "etag" | "sha256";
    concurrency: number;
  }): PlannedCall[];
  /**
   * Each object's newest version at or before `asOf` under `source` (s3://bucket/prefix/);
   * throws where the store cannot give that moment (no versions kept and a past time).
   */
  versionsAsOf(
    source: string,
    asOf: "latest" | Date,
  ): Promise<{ objects: ObjectVersion[]; versioned: boolean; versionsListed: number }>;
  /** `<prefix><run id>`, expiring at `now` plus the environment's ttl. */
  createStagingBucket(o: {
    runId: string;
    prefix: string;
    drill: string;
    environment: string;
    now: number;
  }): Promise<StagingBucket>;
  copy(
    source: string,
    to: string,
    objects: ObjectVersion[],
    o: { concurrency: number; signal: AbortSignal; progress(message: string): void },
  ): Promise<void>;
  /** Every copy in `to` against its source version, and nothing else in `to`. */
  verify(
    source: string,
    to: string,
    objects: ObjectVersion[],
    mode: "etag" | "sha256",
  ): Promise<CopyCheck>;
}
