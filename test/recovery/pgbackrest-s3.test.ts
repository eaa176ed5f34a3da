import { promises as fs } from "node:fs";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../src/providers/local/os-user.js";
import { withSession } from "../../src/db.js";
import { LocalProvider } from "../../src/providers/local/provider.js";
import {
  pgbackrestSource,
  type PgBackRestSource,
} from "../../src/providers/local/recovery/pgbackrest.js";
import { issue, makeCa } from "../helpers/pki.js";
import { makeProject } from "../helpers/project.js";
import { localEnv } from "../local/util.js";
import { tempDir } from "../helpers/temp.js";
import { startPgBackRestRepo, type PgBackRestRepo } from "./pgbackrest-repo.js";

/**
 * pgBackRest speaks only HTTPS to S3: s3rver serves TLS with a certificate from a test CA, the
 * repository is addressed path-style and verified with repo1-storage-ca-file.
 */
describe("pgBackRest source on an S3 repository (s3rver over TLS)", () => {
  let repo: PgBackRestRepo;
  let server: S3rver;
  let endpoint: string;
  let caFile: string;
  let label: string;
  const signal = new AbortController().signal;
  const creds = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };

  beforeAll(async () => {
    const pki = await tempDir("pgbr-pki", { walkable: true });
    const ca = await makeCa(pki, "ca");
    const cert = await issue(pki, ca, "s3", { names: ["127.0.0.1", "localhost"] });
    caFile = ca.cert;
    await fs.chmod(caFile, 0o644);
    server = new S3rver({
      port: 0,
      address: "127.0.0.1",
      silent: true,
      directory: await tempDir("pgbr-s3rver"),
      configureBuckets: [{ name: "backups" }],
      key: await fs.readFile(cert.key),
      cert: await fs.readFile(cert.cert),
    } as ConstructorParameters<typeof S3rver>[0]);
    const { port } = await server.run();
    endpoint = `127.0.0.1:${port}`;
    repo = await startPgBackRestRepo({
      repoLines: [
        "repo1-type=s3",
        "repo1-s3-bucket=backups",
        "repo1-s3-endpoint=127.0.0.1",
        `repo1-storage-port=${port}`,
        "repo1-s3-region=us-east-1",
        "repo1-s3-uri-style=path",
        `repo1-storage-ca-file=${caFile}`,
        "repo1-path=/pg",
        "repo1-s3-key=S3RVER",
        "repo1-s3-key-secret=S3RVER",
      ],
    });
    label = await repo.backup("full");
  });
  afterAll(async () => {
    await repo?.stop();
    await server?.close();
  });

  const request = (): PgBackRestSource => ({
    kind: "pgbackrest",
    stanza: "main",
    config: {
      s3: {
        bucket: "backups",
        endpoint,
        region: "us-east-1",
        repoPath: "/pg",
        uriStyle: "path",
        caFile,
      },
    },
    set: "latest",
    superuser: "postgres",
    database: "postgres",
    target: { kind: "latest" },
  });
  const source = () => pgbackrestSource(request(), { env: creds });

  it("plans and lists from the bucket", async () => {
    const plan = await source().plan(signal);
    expect(plan.set.id).toBe(label);
    expect(await source().listWal(signal)).toContain(plan.set.stopSegment);
  });

  // Without the credentials in the restored server's environment archive-get fails, and the
  // copy never reaches a consistent state: the restore itself proves they got there.
  it("restores through the provider with the credentials only in the server's environment", async () => {
    await repo.sql("create table t as select 1 as id");
    await repo.switchWal();
    const root = await makeProject({});
    const provider = new LocalProvider({ root, environment: localEnv() });
    const saved = { ...process.env };
    Object.assign(process.env, creds);
    let dispose: (() => Promise<void>) | undefined;
    try {
      const plan = await provider.planRestore(request());
      const copy = await provider.restore(plan, {
        runId: `pgbr-s3-${process.pid}`,
        signal,
        progress: () => {},
        onCreated: (d) => (dispose = d),
      });
      const rows = await withSession(copy.connection, (db) => db.query("select id from t"));
      expect(rows.rows).toEqual([{ id: 1 }]);
      expect(JSON.stringify(copy.details)).not.toContain("S3RVER");
      const leaked = await run("grep", ["-rl", "S3RVER", root]).catch(() => ({ stdout: "" }));
      expect(leaked.stdout).toBe("");
    } finally {
      process.env = saved;
      await dispose?.();
    }
  });
});
