import { promises as fs } from "node:fs";
import { platformError } from "../../errors.js";
import type { ConnectionInfo } from "../../types.js";
import type { FailoverMode, FailoverPair, FailoverResult } from "../types.js";
import type { Cluster } from "./cluster.js";
import { waitUntilPrimary } from "./run-cluster.js";
import {
  buildStandby,
  configureStandby,
  promote,
  replicationState,
  setSynchronous,
  waitStreaming,
} from "./standby.js";

export interface LocalPairSpec {
  description: string;
  /** Node 0 is the primary when the pair is made. */
  nodes: [Cluster, Cluster];
  /** Superuser password, the same on both nodes (the standby is a copy). */
  password: string;
  /**
   * The superuser's name and a database it enters to build and steer the standby: postgres and
   * postgres unless given (a physical backup's superuser may have another name).
   */
  superuser?: { user: string; database: string };
  /**
   * Who the probe and later steps connect as, when not the superuser: a restored copy's working
   * role (the same on both nodes, a physical copy), so its code never runs as a superuser.
   */
  client?: { user: string; password: string | undefined };
  replicationPassword: string;
  database: string;
  synchronous: boolean;
  signal: AbortSignal;
  progress(message: string): void;
  details?: Record<string, unknown>;
  /** After repair, switch back so node 0 is the primary again (the sandbox). */
  failback?: boolean;
}

/**
 * Two local clusters, one streaming from the other. The roles swap on failover; `repair`
 * rebuilds the old primary from a fresh base backup of the new one, so the pair is healthy for
 * the next drill.
 */
export class LocalPair implements FailoverPair {
  readonly description: string;
  readonly details: Record<string, unknown>;
  private primaryIndex = 0;

  constructor(private readonly spec: LocalPairSpec) {
    this.description = spec.description;
    this.details = { ...spec.details, synchronous: spec.synchronous };
  }

  get primaryCluster(): Cluster {
    return this.spec.nodes[this.primaryIndex]!;
  }

  get standbyCluster(): Cluster {
    return this.spec.nodes[1 - this.primaryIndex]!;
  }

  private conn(cluster: Cluster, database = this.spec.database): ConnectionInfo {
    const c = cluster.connection(this.spec.password, database);
    return this.spec.superuser ? { ...c, user: this.spec.superuser.user } : c;
  }

  /** The superuser's connection for building and steering the standby. */
  private adminConn(cluster: Cluster): ConnectionInfo {
    return this.conn(cluster, this.spec.superuser?.database ?? "postgres");
  }

  private clientConn(cluster: Cluster): ConnectionInfo {
    return { ...this.conn(cluster), ...this.spec.client };
  }

  primary(): ConnectionInfo {
    return this.clientConn(this.primaryCluster);
  }

  nodes(): ConnectionInfo[] {
    return this.spec.nodes.filter((c) => c.port !== undefined).map((c) => this.clientConn(c));
  }

  /** Bring the standby up (build it when absent) and make commits wait for it if synchronous. */
  async ensureStandby(exists: boolean): Promise<void> {
    const primaryConn = this.adminConn(this.primaryCluster);
    const standby = this.standbyCluster;
    let built = false;
    if (exists) {
      try {
        // The primary may have come up on another port since the standby last ran.
        await configureStandby(
          standby.dataDir,
          this.primaryCluster.port!,
          this.spec.replicationPassword,
        );
        await standby.start({ signal: this.spec.signal });
        await waitStreaming(primaryConn, this.spec.signal, 15_000);
      } catch (e) {
        this.spec.signal.throwIfAborted();
        // Too far behind, or broken: a fresh copy is the sure way back.
        this.spec.progress(`the standby did not catch up (${String(e)}): rebuilding it`);
        await standby.stop("immediate");
        exists = false;
      }
    }
    if (!exists) {
      this.spec.progress(`building a standby of port ${this.primaryCluster.port}`);
      const { buildMs, bytes } = await buildStandby({
        primary: this.primaryCluster,
        primaryConn,
        standby,
        replicationPassword: this.spec.replicationPassword,
        signal: this.spec.signal,
      });
      built = true;
      Object.assign(this.details, { standbyBuildMs: buildMs, standbyBytes: bytes });
    }
    await setSynchronous(primaryConn, this.spec.synchronous, true);
    Object.assign(this.details, { standbyBuilt: built, standbyPort: standby.port });
    this.spec.progress(`standby streaming on port ${standby.port}`);
  }

  async replication() {
    const r = await replicationState(this.adminConn(this.primaryCluster));
    return {
      lagBytes: r?.lagBytes ?? null,
      lagMs: r?.lagMs ?? null,
      state: r ? `${r.state} (${r.syncState})` : null,
    };
  }

  async failover(mode: FailoverMode): Promise<FailoverResult> {
    const old = this.primaryCluster;
    const standby = this.standbyCluster;
    const oldPort = old.port;
    const triggeredAt = Date.now();
    this.spec.progress(
      mode === "crash" ? `crashing the primary (port ${oldPort})` : "stopping the primary cleanly",
    );
    await old.stop(mode === "crash" ? "immediate" : "fast");
    const stoppedAt = Date.now();
    this.spec.progress(`promoting the standby (port ${standby.port})`);
    const promoteMs = await promote(standby, this.spec.signal);
    this.primaryIndex = 1 - this.primaryIndex;
    await waitUntilPrimary(this.adminConn(standby), this.spec.signal, 60_000);
    const completedAt = Date.now();
    return {
      triggeredAt,
      completedAt,
      promoteMs,
      details: {
        mode,
        oldPrimaryPort: oldPort,
        newPrimaryPort: standby.port,
        stopMs: stoppedAt - triggeredAt,
      },
    };
  }

  async repair(): Promise<Record<string, unknown>> {
    const started = Date.now();
    const old = this.standbyCluster;
    this.spec.progress("rebuilding the old primary as a standby of the new one");
    await old.stop("immediate");
    await fs.rm(old.dataDir, { recursive: true, force: true });
    const primaryConn = this.adminConn(this.primaryCluster);
    // Commits must not wait for a standby that is not there yet.
    await setSynchronous(primaryConn, false);
    const built = await buildStandby({
      primary: this.primaryCluster,
      primaryConn,
      standby: old,
      replicationPassword: this.spec.replicationPassword,
      signal: this.spec.signal,
    });
    await setSynchronous(primaryConn, this.spec.synchronous, true);
    const state = await replicationState(primaryConn);
    if (state?.state !== "streaming")
      throw platformError("REPAIR_FAILED", "the rebuilt standby is not streaming");
    const out: Record<string, unknown> = {
      method: "base backup",
      repairMs: Date.now() - started,
      bytes: built.bytes,
    };
    if (this.spec.failback && !this.primaryIsOriginal) out.failback = await this.failback();
    return { ...out, primaryPort: this.primaryCluster.port, standbyPort: this.standbyCluster.port };
  }

  /** Planned switch back, unmeasured: the sandbox keeps its primary where drill expects it. */
  async failback(): Promise<Record<string, unknown>> {
    const started = Date.now();
    await this.failover("switchover");
    const repaired = await this.repair();
    return { failbackMs: Date.now() - started, repairMs: repaired.repairMs };
  }

  /** A later step of the run uses the pair: its signal, its progress line, its replication mode. */
  async reuse(o: { signal: AbortSignal; progress(m: string): void; synchronous: boolean }) {
    this.spec.signal = o.signal;
    this.spec.progress = o.progress;
    const on = o.synchronous;
    this.spec.synchronous = on;
    this.details.synchronous = on;
    await setSynchronous(this.adminConn(this.primaryCluster), on, true);
  }

  get primaryIsOriginal(): boolean {
    return this.primaryIndex === 0;
  }
}
