/**
 * ExistingCluster: the cluster of a kubeconfig context that already exists
 * (kind, minikube, k3d, a cluster made elsewhere). Nothing is created; the
 * provider is built explicitly so nothing falls back to an ambient default.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Cluster } from "../../infra/config/schema.ts";
import type { ClusterTarget } from "./cluster.ts";

export type ExistingClusterArgs = Extract<Cluster, { provider: "existing" }>;

export class ExistingCluster extends pulumi.ComponentResource implements ClusterTarget {
  public readonly kubernetes: k8s.Provider;
  public readonly ingress: ExistingClusterArgs["ingress"];
  public readonly defaultStorageClass = undefined;

  constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("creator-platform:cluster:ExistingCluster", name, {}, opts);
    this.ingress = args.ingress;
    // Without `context`, the provider uses the kubeconfig's current context.
    this.kubernetes = new k8s.Provider(`${name}-k8s`, args.context ? { context: args.context } : {}, { parent: this });
    this.registerOutputs({});
  }
}
