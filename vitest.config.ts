import { accessSync, constants, statSync } from "node:fs";
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

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/helpers/cleanup.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Each integration file starts its own PostgreSQL clusters; two at a time fits 2 cores.
    maxWorkers: 2,
  },
});
