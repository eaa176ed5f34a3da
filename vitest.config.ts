import { accessSync, constants, statSync } from "node:fs";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { defineConfig } from "vitest/config";

// Every integration file initdb's and fills its own PostgreSQL clusters: on a disk that is their
// I/O (initdb alone took 3.7 s on disk and 0.7 s on tmpfs here, under load). Test folders go to
// RAM when the machine has a tmpfs and nobody chose TMPDIR; the servers run there too.
const tmpfs = "/dev/shm";
const usable = (dir: string) => {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
};
if (process.env.TMPDIR === undefined && usable(tmpfs)) process.env.TMPDIR = tmpfs;

// The longest files (measured in CI on a clean clone, 2 workers), started first: a clean clone
// has no timing cache, and by file size these small files would start last and run alone at the
// end. Files not named keep vitest's order.
const LONGEST_FIRST = [
  "test/recovery/barman.test.ts",
  "test/crash/kill.test.ts",
  "test/crash/kill-replay.test.ts",
  "test/scrub/adversarial.test.ts",
  "test/hostile/fuzz.test.ts",
  "test/scrub/databases.test.ts",
  "test/cli/quickstart.test.ts",
  // 64 s, 43 s and 40 s of tests on a 2-core machine; unnamed, the first two started in the
  // last quarter of the run.
  "test/ship/package.test.ts",
  "test/failover/step.test.ts",
  "test/cli/run.test.ts",
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = LONGEST_FIRST.findIndex((name) => f.moduleId.endsWith(name));
      return i === -1 ? LONGEST_FIRST.length : i;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/helpers/cleanup.ts"],
    // One seeded sandbox per run, copied by the files that need one (test/helpers/seeded-sandbox.ts).
    globalSetup: ["test/helpers/seed-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Each integration file starts its own PostgreSQL clusters; two at a time fits 2 cores (three
    // measured no faster: 624 s against 609 s for the whole suite, with more contention).
    maxWorkers: 2,
    // A test file's import of src/ (vite-transformed, ~60 modules) cost 1–4 s per file, in a fresh
    // process each. The two workers keep their process and module cache across files instead
    // (57 of the 141 files, measured side by side: 265 s → 188 s). Files still get their own hooks
    // and test/helpers/cleanup.ts; what a file changes in the process (process.env, an SDK
    // client's mocked send) it puts back in afterAll.
    isolate: false,
    sequence: { sequencer: LongestFirst },
  },
});
