/**
 * LinodeCluster: an LKE cluster with its node pools (fixed counts or LKE's
 * autoscaler), an optional HA control plane restricted to the stack's CIDRs,
 * and an Object Storage bucket with a key scoped to it for backups.
 */
import * as k8s from "@pulumi/kubernetes";
import * as linode from "@pulumi/linode";
import * as pulumi from "@pulumi/pulumi";
import type { Cluster, StackConfig } from "../../infra/config/schema.ts";
import { clusterFacts } from "../../infra/platform/cluster-facts.ts";
import { type BackupStore, type ClusterTarget, type NodeCounts, type NodePoolSize, sizedPools } from "./cluster.ts";

export type LinodeClusterArgs = Extract<Cluster, { provider: "linode" }>;

/** LKE returns the kubeconfig base64-encoded. */
export const decodeKubeconfig = (encoded: string): string => Buffer.from(encoded, "base64").toString("utf8");

export class LinodeCluster extends pulumi.ComponentResource implements ClusterTarget {
  public readonly kubernetes: k8s.Provider;
  public readonly ingress: ClusterTarget["ingress"];
  public readonly defaultStorageClass: string | undefined;
  public readonly nodePools: NodePoolSize[];
  public readonly backups: BackupStore;
  public readonly kubeconfig: pulumi.Output<string>;
  public readonly limitations: string[] = [];

  constructor(
    name: string,
    args: { cluster: LinodeClusterArgs; nodeCounts: NodeCounts; storage: StackConfig["storage"]; backups: StackConfig["backups"] },
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("creator-platform:cluster:LinodeCluster", name, {}, opts);
    const { cluster } = args;
    const facts = clusterFacts(cluster);
    this.ingress = facts.ingress;
    this.defaultStorageClass = facts.storageClass[args.storage.type];
    const parent = { parent: this };

    this.nodePools = sizedPools(cluster.nodePools, args.nodeCounts);
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

    if (args.backups.bucket && args.backups.endpoint) {
      this.backups = { bucket: pulumi.output(args.backups.bucket), endpoint: pulumi.output(args.backups.endpoint) };
    } else {
      const bucket = new linode.ObjectStorageBucket(
        `${name}-backups`,
        { label: args.backups.bucket ?? `${name}-creator-backups`, region: cluster.region, versioning: true },
        parent,
      );
      const key = new linode.ObjectStorageKey(
        `${name}-backups-key`,
        {
          label: `${name}-creator-backups`,
          bucketAccesses: [{ bucketName: bucket.label, region: cluster.region, permissions: "read_write" }],
        },
        { ...parent, additionalSecretOutputs: ["secretKey"] },
      );
      this.backups = {
        bucket: bucket.label,
        endpoint: bucket.s3Endpoint.apply((host) => (host.startsWith("http") ? host : `https://${host}`)),
        accessKeyId: key.accessKey,
        secretAccessKey: pulumi.secret(key.secretKey),
      };
    }
    this.registerOutputs({ kubeconfig: this.kubeconfig });
  }
}
