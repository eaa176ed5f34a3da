import type { ExampleFile } from "./index.js";

/**
 * drills/example.yaml as `drill init` writes it: a smaller quickstart that runs on the local
 * sandbox as it is, with every step kind shown (the AWS-only and optional ones commented out).
 */
export const exampleDrill: ExampleFile = {
  path: "drills/example.yaml",
  what: "restore, scrub, verify and fail over the sandbox shop",
  text: `# An example drill, written by \`drill init\`: restore the sandbox's newest snapshot into a fresh
# staging cluster, scrub the personal data out of it, prove the copy is whole, fail it over for
# real, and measure recovery against the objectives. \`drill run example\` runs it here, no AWS
# account needed. Every key is in drill's docs/reference.md.
name: example # must equal the file name
description: Restore the sandbox shop, scrub it, verify it and fail it over.
environment: sandbox # an environment from config/drill.yaml
# schedule: "0 4 * * 1" # cron; only \`drill daemon\` reads it (here: Mondays at 04:00)
# timezone: Europe/Berlin # of the schedule (default: config's timezone, then UTC)
# controls: [ISO27001-A.8.13, SOC2-A1.3] # what a passing run evidences; \`drill controls\` lists them
# notify: [team] # channels from config/drill.yaml, posted to after every run

objectives: # a missed objective fails the run (exit 1) and says by how much
  rto: 5m # run start → restored copy scrubbed and verified
  rpo: 26h # age of the copy's newest data (daily snapshots, plus slack)
  phases: { restore: 2m, scrub: 2m, verify: 2m } # a budget per phase
  # regressions: fail # a phase 25% slower than its last 5 passed runs fails (default: warn)

steps: # in order; after a failed step the rest are skipped, and cleanup always runs last
  # restore: bring a copy up as a new staging database. Instead of the newest snapshot:
  # { snapshot: <id> }, { before: 2026-01-01T00:00:00Z }, { archive: dumps/shop.dump } (a
  # pg_dump file, or s3://bucket/key), or on AWS { pointInTime: latest }.
  - restore:
      from: { snapshot: latest }
      newestData: orders.created_at # its age when the copy is up is the measured RPO
      timeout: 10m # every step has a timeout

  # scrub: make the copy safe before anyone uses it. Every column must be classified.
  - scrub:
      scrubber: shop # scrubbers/shop.yaml
      # keep: 4h # leave the scrubbed copy running for the team (not with a staging failover)

  # verify: checks on the copy's data, each in a read-only transaction.
  - verify:
      checks:
        - rowCount: { table: customers, min: 10000, withinPercentOfPrevious: 5 }
        - freshness: { table: orders, column: created_at, maxAge: 26h } # vs the snapshot's time
        - noOrphans: { table: order_items, column: order_id, references: orders.id }
        - unique: { table: customers, columns: [email] } # on the data, not the constraint
        - constraints: {} # every foreign key and check constraint, re-validated on the data
        - amcheck: {} # every B-tree index against its table
        - sql:
            name: no negative payments
            query: select count(*) from payments where amount < 0
            expect: 0 # or a comparison such as { lt: 5 }; or rows: 0 (how many rows came back)
        # - notNull: { table: orders, columns: [customer_id, total] }
        # - schema: { tables: { orders: [id, customer_id, total] } }
        # - command: { run: npm run smoke-test } # your own test; DATABASE_URL points at the copy

  # failover: fail the copy over to a streaming standby while a probe writes to it, and measure
  # what clients saw. target: production needs \`production: true\` and --confirm-production.
  - failover:
      target: staging
      mode: crash # kill the primary; or switchover (stop it cleanly first)
      probe: { writesPerSecond: 50 } # downtime is measured to 1/50 s
      expect: { maxDowntime: 30s, lostWrites: 0 }

  # s3-restore (AWS): restore a versioned bucket as of a time into a staging bucket and compare
  # every object's checksum with its source version.
  # - s3-restore: { source: s3://shop-uploads/, asOf: latest }

  # cleanup: removes everything the run created. It runs last even when not written here.
  # - cleanup: { timeout: 5m }
`,
};
