/** The one place that turns the stack's `cluster` setting into a ClusterTarget. */
import type * as pulumi from "@pulumi/pulumi";
import type { Cluster } from "../../infra/config/schema.ts";
import type { ClusterTarget } from "./cluster.ts";
import { ExistingCluster } from "./existing.ts";

export type { ClusterTarget } from "./cluster.ts";

export function createCluster(name: string, cluster: Cluster, opts?: pulumi.ComponentResourceOptions): ClusterTarget {
  switch (cluster.provider) {
    case "existing":
      return new ExistingCluster(name, cluster, opts);
    case "civo":
    case "linode":
      throw new Error(`cluster.provider ${cluster.provider}: cluster components are not built yet`);
  }
}
