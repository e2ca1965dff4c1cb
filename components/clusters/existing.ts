/**
 * ExistingCluster: the cluster of a kubeconfig context that already exists
 * (kind, minikube, k3d, a cluster made elsewhere). Nothing is created; the
 * provider is built explicitly so nothing falls back to an ambient default.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Cluster } from "../../infra/config/schema.ts";
import { type BackupStore, type ClusterArgs, ClusterComponent, type ClusterTarget, configuredBackupStore } from "./cluster.ts";

export type ExistingClusterArgs = Extract<Cluster, { provider: "existing" }>;

export class ExistingCluster extends ClusterComponent implements ClusterTarget {
  public readonly kubernetes: k8s.Provider;
  public readonly nodePools = [];
  public readonly backups: BackupStore | undefined;
  public readonly limitations = ["an existing cluster is not billed by this project: its cost report is zero"];

  constructor(
    name: string,
    args: Omit<ClusterArgs<ExistingClusterArgs>, "nodeCounts">,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("creator-platform:cluster:ExistingCluster", name, args, opts);
    // Without `context`, the provider uses the kubeconfig's current context.
    this.kubernetes = new k8s.Provider(
      `${name}-k8s`,
      args.cluster.context ? { context: args.cluster.context } : {},
      { parent: this },
    );
    this.backups = configuredBackupStore(args.backups);
    this.registerOutputs({});
  }
}
