/**
 * LinodeCluster: an LKE cluster with its node pools (fixed counts or LKE's
 * autoscaler), an optional HA control plane restricted to the stack's CIDRs,
 * and an Object Storage bucket with a key scoped to it for backups.
 */
import * as k8s from "@pulumi/kubernetes";
import * as linode from "@pulumi/linode";
import * as pulumi from "@pulumi/pulumi";
import type { Cluster } from "../../infra/config/schema.ts";
import {
  type BackupSettings,
  type BackupStore,
  type ClusterArgs,
  ClusterComponent,
  type ClusterTarget,
  type NodePoolSize,
  configuredBackupStore,
  poolsWithCounts,
} from "./cluster.ts";

export type LinodeClusterArgs = Extract<Cluster, { provider: "linode" }>;

/** LKE returns the kubeconfig base64-encoded. */
export const decodeKubeconfig = (encoded: string): string => Buffer.from(encoded, "base64").toString("utf8");

export class LinodeCluster extends ClusterComponent implements ClusterTarget {
  public readonly kubernetes: k8s.Provider;
  public readonly nodePools: NodePoolSize[];
  public readonly backups: BackupStore;
  public readonly kubeconfig: pulumi.Output<string>;
  public readonly limitations: string[] = [];

  constructor(
    name: string,
    args: ClusterArgs<LinodeClusterArgs>,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("creator-platform:cluster:LinodeCluster", name, args, opts);
    const { cluster } = args;
    const parent = { parent: this };

    this.nodePools = poolsWithCounts(cluster.nodePools, args.nodeCounts);
    const lke = new linode.LkeCluster(
      `${name}-lke`,
      {
        label: name,
        region: cluster.region,
        k8sVersion: cluster.kubernetesVersion,
        pools: this.nodePools.map((pool) => ({
          type: pool.size,
          count: pool.count,
          labels: { "creator-platform/pool": pool.pool },
          ...(pool.autoscaler ? { autoscaler: pool.autoscaler } : {}),
        })),
        controlPlane: {
          highAvailability: cluster.highAvailability,
          ...(cluster.apiAllowedCidrs ? { acl: { enabled: true, addresses: [{ ipv4s: cluster.apiAllowedCidrs }] } } : {}),
        },
        tags: ["creator-platform"],
      },
      { ...parent, additionalSecretOutputs: ["kubeconfig"] },
    );
    this.kubeconfig = pulumi.secret(lke.kubeconfig.apply(decodeKubeconfig));
    this.kubernetes = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: this.kubeconfig, clusterIdentifier: lke.id.apply(String) },
      parent,
    );

    this.backups = configuredBackupStore(args.backups) ?? this.createBackupStore(name, cluster.region, args.backups);
    this.registerOutputs({ kubeconfig: this.kubeconfig });
  }

  /**
   * A versioned bucket for this stack's backups and a key that can reach only it.
   * Versioning is set through the S3 API, so the bucket needs object-storage keys
   * ("versioning … (Requires `accessKey` and `secretKey`)", @pulumi/linode 5.1.1
   * objectStorageBucket.d.ts; without them terraform-provider-linode v3.1.1 fails
   * with "access_key and secret_key are required"). The bucket's own provider asks
   * for temporary keys at apply time (`objUseTempKeys`), so no account-wide key is
   * ever kept in the state.
   */
  private createBackupStore(name: string, region: string, settings: BackupSettings): BackupStore {
    const label = settings.backups.bucket ?? `${name}-creator-backups`;
    const token = new pulumi.Config("linode").getSecret("token");
    const objects = new linode.Provider(`${name}-object-storage`, { objUseTempKeys: true, ...(token ? { token } : {}) }, { parent: this });
    const bucket = new linode.ObjectStorageBucket(`${name}-backups`, { label, region, versioning: true }, { parent: this, provider: objects });
    const key = new linode.ObjectStorageKey(
      `${name}-backups-key`,
      { label, bucketAccesses: [{ bucketName: bucket.label, region, permissions: "read_write" }] },
      { parent: this, additionalSecretOutputs: ["secretKey"] },
    );
    return {
      bucket: label,
      // Linode's S3 endpoint for a region; known before the bucket exists, so every creator's
      // sqld can be configured in the same update that creates the bucket.
      endpoint: `https://${region}-1.linodeobjects.com`,
      region,
      credentials: { accessKeyId: key.accessKey, secretAccessKey: pulumi.secret(key.secretKey) },
    };
  }
}
