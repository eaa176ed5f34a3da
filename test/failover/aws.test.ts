import {
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeEventsCommand,
  FailoverDBClusterCommand,
  RDSClient,
  RebootDBInstanceCommand,
} from "@aws-sdk/client-rds";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { awsFailover } from "../../src/failover/aws.js";

const rds = mockClient(RDSClient);
const client = new RDSClient({ region: "eu-west-1" });
const opts = { signal: new AbortController().signal, progress: () => {}, pollSeconds: 0.01 };
const instance = (status: string, multiAZ = true) => ({
  DBInstances: [
    { DBInstanceIdentifier: "prod-orders", DBInstanceStatus: status, MultiAZ: multiAZ },
  ],
});
const events = {
  Events: [
    { Date: new Date("2026-12-01T10:00:01Z"), Message: "Multi-AZ instance failover started." },
    { Date: new Date("2026-12-01T10:00:31Z"), Message: "Multi-AZ instance failover completed" },
  ],
};
const inputs = (cmd: Parameters<typeof rds.commandCalls>[0]) =>
  rds.commandCalls(cmd).map((c) => c.args[0].input);

beforeEach(() => rds.reset());
// Test files share a worker (isolate: false): the real send() is back for the next file.
afterAll(() => rds.restore());

describe("RDS Multi-AZ instance", () => {
  it("reboots with ForceFailover, waits until available, reads the failover events", async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .resolvesOnce(instance("available"))
      .resolvesOnce(instance("rebooting"))
      .resolves(instance("available"));
    rds.on(RebootDBInstanceCommand).resolves({});
    rds.on(DescribeEventsCommand).resolves(events);
    const out = await awsFailover(client, { dbInstance: "prod-orders" }, opts);
    expect(inputs(RebootDBInstanceCommand)).toEqual([
      { DBInstanceIdentifier: "prod-orders", ForceFailover: true },
    ]);
    expect(inputs(DescribeDBInstancesCommand)).toEqual([
      { DBInstanceIdentifier: "prod-orders" },
      { DBInstanceIdentifier: "prod-orders" },
      { DBInstanceIdentifier: "prod-orders" },
    ]);
    const [ev] = inputs(DescribeEventsCommand);
    expect(ev).toEqual({
      SourceIdentifier: "prod-orders",
      SourceType: "db-instance",
      StartTime: new Date(out.triggeredAt - 60_000),
      EventCategories: ["failover"],
    });
    expect(out.promoteMs).toBe(30_000);
    expect(out.events).toEqual([
      { at: "2026-12-01T10:00:01.000Z", message: "Multi-AZ instance failover started." },
      { at: "2026-12-01T10:00:31.000Z", message: "Multi-AZ instance failover completed" },
    ]);
  });

  it("refuses an instance that is not Multi-AZ, before any reboot", async () => {
    rds.on(DescribeDBInstancesCommand).resolves(instance("available", false));
    await expect(awsFailover(client, { dbInstance: "prod-orders" }, opts)).rejects.toMatchObject({
      code: "NOT_MULTI_AZ",
      kind: "input",
      message: 'RDS instance "prod-orders" is not Multi-AZ: it has no standby to fail over to',
    });
    expect(inputs(RebootDBInstanceCommand)).toEqual([]);
  });

  it("reports a failover already in progress", async () => {
    rds.on(DescribeDBInstancesCommand).resolves(instance("rebooting"));
    await expect(awsFailover(client, { dbInstance: "prod-orders" }, opts)).rejects.toMatchObject({
      code: "FAILOVER_IN_PROGRESS",
      kind: "platform",
    });
    rds.reset();
    rds.on(DescribeDBInstancesCommand).resolves(instance("available"));
    rds.on(RebootDBInstanceCommand).rejects(
      Object.assign(new Error("Instance is not available"), {
        name: "InvalidDBInstanceStateFault",
      }),
    );
    await expect(awsFailover(client, { dbInstance: "prod-orders" }, opts)).rejects.toMatchObject({
      code: "FAILOVER_IN_PROGRESS",
    });
  });
});

describe("Aurora cluster", () => {
  const cluster = (writer: string, status = "available") => ({
    DBClusters: [
      {
        DBClusterIdentifier: "orders",
        Status: status,
        DBClusterMembers: [
          { DBInstanceIdentifier: "orders-1", IsClusterWriter: writer === "orders-1" },
          { DBInstanceIdentifier: "orders-2", IsClusterWriter: writer === "orders-2" },
        ],
      },
    ],
  });

  it("fails over to the named reader and waits until it is the writer", async () => {
    rds
      .on(DescribeDBClustersCommand)
      .resolvesOnce(cluster("orders-1"))
      .resolvesOnce(cluster("orders-1", "failing-over"))
      .resolves(cluster("orders-2"));
    rds.on(FailoverDBClusterCommand).resolves({});
    rds.on(DescribeEventsCommand).resolves({ Events: [] });
    const out = await awsFailover(
      client,
      { dbCluster: "orders", targetInstance: "orders-2" },
      opts,
    );
    expect(inputs(FailoverDBClusterCommand)).toEqual([
      { DBClusterIdentifier: "orders", TargetDBInstanceIdentifier: "orders-2" },
    ]);
    expect(inputs(DescribeDBClustersCommand)).toHaveLength(3);
    expect(inputs(DescribeEventsCommand)[0]).toMatchObject({
      SourceIdentifier: "orders",
      SourceType: "db-cluster",
      EventCategories: ["failover"],
    });
    expect(out.details).toMatchObject({ dbCluster: "orders", oldWriter: "orders-1" });
  });

  it("refuses a target that is not a reader", async () => {
    rds.on(DescribeDBClustersCommand).resolves(cluster("orders-1"));
    await expect(
      awsFailover(client, { dbCluster: "orders", targetInstance: "orders-9" }, opts),
    ).rejects.toMatchObject({ code: "UNKNOWN_READER" });
    expect(inputs(FailoverDBClusterCommand)).toEqual([]);
  });

  it("reports a cluster failover already in progress", async () => {
    rds.on(DescribeDBClustersCommand).resolves(cluster("orders-1", "failing-over"));
    await expect(awsFailover(client, { dbCluster: "orders" }, opts)).rejects.toMatchObject({
      code: "FAILOVER_IN_PROGRESS",
    });
  });
});
