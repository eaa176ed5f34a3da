import type { LocalEnvironment } from "../../src/definitions/config.js";
import { SEED_SCALE } from "../helpers/seed-setup.js";

/** A sandbox environment at the seeded sandbox's scale (see test/helpers/seeded-sandbox.ts). */
export const localEnv = (over: Partial<LocalEnvironment> = {}): LocalEnvironment => ({
  provider: "local",
  postgres: "embedded",
  scale: SEED_SCALE,
  backupInterval: 24 * 3_600_000,
  ...over,
});

export const noop = () => {};

export const signal = () => new AbortController().signal;
