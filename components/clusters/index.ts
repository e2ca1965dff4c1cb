/** The one place that turns the stack's `cluster` setting into a ClusterTarget. */
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../infra/config/schema.ts";
import { CivoCluster } from "./civo.ts";
import type { ClusterTarget, NodeCounts } from "./cluster.ts";
import { ExistingCluster } from "./existing.ts";
import { LinodeCluster } from "./linode.ts";

export type { ClusterTarget, NodeCounts } from "./cluster.ts";

export function createCluster(
  name: string,
  config: Pick<StackConfig, "cluster" | "storage" | "backups" | "backupAccessKeyId" | "backupSecretAccessKey">,
  nodeCounts: NodeCounts,
  opts?: pulumi.ComponentResourceOptions,
): ClusterTarget {
  const { cluster, storage } = config;
  const backups = { backups: config.backups, backupAccessKeyId: config.backupAccessKeyId, backupSecretAccessKey: config.backupSecretAccessKey };
  switch (cluster.provider) {
    case "existing":
      return new ExistingCluster(name, { cluster, storage, backups }, opts);
    case "civo":
      return new CivoCluster(name, { cluster, nodeCounts, storage, backups }, opts);
    case "linode":
      return new LinodeCluster(name, { cluster, nodeCounts, storage, backups }, opts);
  }
}
