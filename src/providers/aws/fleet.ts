import type { Resource } from "../../coverage/model.js";
import type { AwsClients } from "./clients.js";
import { call } from "./errors.js";
import { TAG, tagValue, type Tag } from "./guard.js";

/** Set on a database that needs no drill; its value says why. */
export const IGNORE_TAG = "drill:ignore";
const PAGE = 100;

type Found = Pick<Resource, "kind" | "id" | "ignored">;

/**
 * Every RDS instance and Aurora cluster of the account in the clients' region, paged. An
 * instance inside a cluster is counted with its cluster; the copies drill makes (named drill-…,
 * tagged drill:run) are no one's production and are left out.
 */
export async function listFleet(clients: AwsClients): Promise<Found[]> {
  const sdk = await import("@aws-sdk/client-rds");
  const rds = await clients.rds();
  const found: Found[] = [];
  const add = (kind: Found["kind"], id: string | undefined, tags: Tag[] | undefined) => {
    if (!id || id.toLowerCase().startsWith("drill-") || tagValue(tags, TAG.run) !== undefined)
      return;
    const ignore = tagValue(tags, IGNORE_TAG);
    found.push({
      kind,
      id,
      ...(ignore !== undefined ? { ignored: ignore.trim() || "no reason given" } : {}),
    });
  };
  let marker: string | undefined;
  do {
    const input = { MaxRecords: PAGE, ...(marker ? { Marker: marker } : {}) };
    const page = await call("listing RDS instances", () =>
      rds.send(new sdk.DescribeDBInstancesCommand(input)),
    );
    for (const i of page.DBInstances ?? [])
      if (!i.DBClusterIdentifier) add("rds-instance", i.DBInstanceIdentifier, i.TagList);
    marker = page.Marker;
  } while (marker);
  do {
    const input = { MaxRecords: PAGE, ...(marker ? { Marker: marker } : {}) };
    const page = await call("listing Aurora clusters", () =>
      rds.send(new sdk.DescribeDBClustersCommand(input)),
    );
    for (const c of page.DBClusters ?? []) add("aurora-cluster", c.DBClusterIdentifier, c.TagList);
    marker = page.Marker;
  } while (marker);
  return found;
}
