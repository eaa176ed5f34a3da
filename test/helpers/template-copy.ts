import { quoteIdent, withSession } from "../../src/db.js";
import type { Provider } from "../../src/providers/types.js";
import type { ConnectionInfo } from "../../src/types.js";

/**
 * A provider whose snapshot is a database of a test cluster and whose restore is `CREATE
 * DATABASE … TEMPLATE` of it: a real PostgreSQL copy in milliseconds, so tests of what happens
 * after a restore (verify, the record, the posts) run whole drills without a sandbox or initdb.
 */
export function templateCopyProvider(server: ConnectionInfo, template: string): Provider {
  let copies = 0;
  const admin = { ...server, database: "postgres" };
  return {
    name: "template-copy",
    prepare: async () => ({}),
    planRestore: async () => ({
      source: { kind: "snapshot", id: template },
      description: `copy of database ${template}`,
      details: {},
    }),
    async restore(plan, opts) {
      const database = `${template}_copy_${++copies}_${process.pid}`;
      const dispose = () =>
        withSession(admin, (db) =>
          db.query(`drop database if exists ${quoteIdent(database)} with (force)`),
        ).then(() => {});
      opts.onCreated(dispose);
      await withSession(admin, (db) =>
        db.query(`create database ${quoteIdent(database)} template ${quoteIdent(template)}`),
      );
      return { connection: { ...server, database }, source: plan.source, details: {}, dispose };
    },
    release: async () => {},
  };
}
