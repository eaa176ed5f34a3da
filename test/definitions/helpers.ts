import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/definitions");

export const VALID_DRILL = `name: quickstart
environment: sandbox
objectives: { rto: 5m, rpo: 26h }
steps:
  - restore: { from: { snapshot: latest }, newestData: orders.created_at }
  - verify:
      checks:
        - rowCount: { table: orders, min: 1000 }
        - sql: { name: no negative payments, query: "select count(*) from payments where amount < 0", expect: 0 }
`;
export const VALID_CONFIG = "environments: { sandbox: { provider: local } }\n";
