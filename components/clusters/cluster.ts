/**
 * What every cluster target gives the program, whichever provider made it.
 * The program never branches on the provider: it asks a cluster for this.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Cluster, IngressController, StackConfig } from "../../infra/config/schema.ts";
import { clusterFacts } from "../../infra/platform/cluster-facts.ts";

/** S3-compatible storage for creator database backups. */
export interface BackupStore {
  bucket: string;
  endpoint: string;
  region: string;
  /** A key for the bucket: created with it (Linode) or the stack's secrets; undefined when neither. */
  credentials: { accessKeyId: pulumi.Input<string>; secretAccessKey: pulumi.Input<string> } | undefined;
}

/** The settings the cluster targets read to find or make the backups bucket. */
export type BackupSettings = Pick<StackConfig, "backups" | "backupAccessKeyId" | "backupSecretAccessKey">;

/** What a cluster target is built from: its slice of the stack configuration and the node counts. */
export interface ClusterArgs<C> {
  cluster: C;
  nodeCounts: NodeCounts;
  storage: StackConfig["storage"];
  backups: BackupSettings;
}

/**
 * What every cluster component shares: the facts of its kind of cluster (ingress
 * controller, storage classes) resolved once, in the base constructor.
 */
export abstract class ClusterComponent extends pulumi.ComponentResource {
  public readonly ingress: IngressController;
  public readonly defaultStorageClass: string | undefined;

  protected constructor(
    type: string,
    name: string,
    args: { cluster: Cluster; storage: StackConfig["storage"] },
    opts: pulumi.ComponentResourceOptions | undefined,
  ) {
    super(type, name, {}, opts);
    const facts = clusterFacts(args.cluster);
    this.ingress = facts.ingress;
    this.defaultStorageClass = facts.storageClass[args.storage.type];
  }
}

/** A bucket the stack names (the program cannot or need not create one). */
export function configuredBackupStore(settings: BackupSettings): BackupStore | undefined {
  const { bucket, endpoint, region } = settings.backups;
  if (!bucket || !endpoint) return undefined;
  const { backupAccessKeyId: accessKeyId, backupSecretAccessKey: secretAccessKey } = settings;
  return {
    bucket,
    endpoint,
    region,
    credentials: accessKeyId && secretAccessKey ? { accessKeyId: pulumi.secret(accessKeyId), secretAccessKey: pulumi.secret(secretAccessKey) } : undefined,
  };
}

export interface NodePoolSize {
  pool: string;
  size: string;
  count: number;
  autoscaler?: { min: number; max: number };
}

export interface ClusterTarget {
  /** Every Kubernetes object on this cluster is registered through this provider. */
  kubernetes: k8s.Provider;
  /** The shared ingress controller creators' NetworkPolicies admit. */
  ingress: IngressController;
  /** StorageClass for creator volumes when the stack names none (undefined: the cluster's default). */
  defaultStorageClass: string | undefined;
  /** The node pools as created (empty for an existing cluster). */
  nodePools: NodePoolSize[];
  backups: BackupStore | undefined;
  /** What this target cannot do or show, in plain words (the offline plan prints these). */
  limitations: string[];
}

/** How many nodes each pool gets: decided by the cost model's packing unless the stack fixes it. */
export type NodeCounts = Record<string, number>;

/** The stack's pools with their node counts (`size` is Civo's word, `type` Linode's). */
export function poolsWithCounts(
  pools: Array<{ name: string; count?: number; autoscaler?: { min: number; max: number } } & ({ size: string } | { type: string })>,
  nodeCounts: NodeCounts,
): NodePoolSize[] {
  return pools.map((pool) => ({
    pool: pool.name,
    size: "size" in pool ? pool.size : pool.type,
    count: nodeCounts[pool.name] ?? pool.count ?? 1,
    ...(pool.autoscaler ? { autoscaler: pool.autoscaler } : {}),
  }));
}
