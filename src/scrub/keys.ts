import { createHmac, randomBytes } from "node:crypto";
import type { Queryable } from "../db.js";

/**
 * Everything keyed is derived from the scrubber's secret, one HMAC per purpose, so one secret
 * gives the same fakes in every table and run and another secret gives others. The derived
 * values reach the server as session settings sent as bind parameters: they never appear in
 * statement text, which PostgreSQL may write to its log when a statement fails.
 */
export class Keys {
  private readonly secret: Buffer;
  private readonly settings = new Map<string, string>();

  constructor(secret: string | undefined) {
    // `deterministic: false`: a key nobody keeps, so outputs differ on every run.
    this.secret = secret === undefined ? randomBytes(32) : Buffer.from(secret, "utf8");
  }

  private mac(purpose: string): Buffer {
    return createHmac("sha256", this.secret).update(purpose).digest();
  }

  /** A signed 64-bit seed for `hashtextextended`, as a decimal string. */
  seed(purpose: string): string {
    return this.mac(`seed:${purpose}`).readBigInt64BE(0).toString();
  }

  /** A 32-bit seed for faker (pools). */
  fakerSeed(purpose: string): number {
    return this.mac(`faker:${purpose}`).readUInt32BE(0);
  }

  /** Hex key for keyed sha256 in SQL (`hash` transformer). */
  hexKey(purpose: string): string {
    return this.mac(`key:${purpose}`).toString("hex");
  }

  /**
   * Name of a session setting holding `value`; SQL reads it back with
   * `current_setting('<name>')`. Names are stable per purpose so every session agrees.
   */
  setting(purpose: string, value: string): string {
    const name = `drill.k${this.settings.size}`;
    for (const [n, v] of this.settings) if (v === value) return n;
    this.settings.set(name, value);
    return name;
  }

  /** Put every setting into a session (each worker's connection needs them). */
  async apply(db: Queryable): Promise<void> {
    for (const [name, value] of this.settings)
      await db.query("select set_config($1, $2, false)", [name, value]);
  }
}
