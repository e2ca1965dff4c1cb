/**
 * What every cluster target gives the program, whichever provider made it.
 * The program never branches on the provider: it asks a cluster for this.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { IngressController } from "../../infra/config/schema.ts";

export interface ClusterTarget {
  /** Every Kubernetes object on this cluster is registered through this provider. */
  kubernetes: k8s.Provider;
  /** The shared ingress controller creators' NetworkPolicies admit. */
  ingress: IngressController;
  /** StorageClass for creator volumes when the stack names none (undefined: the cluster's default). */
  defaultStorageClass: string | undefined;
}
