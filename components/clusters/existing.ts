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

/**
 * The API server's version (`/version`'s gitVersion), asked through the same
 * kubeconfig and context the Kubernetes provider uses (KUBECONFIG, or
 * ~/.kube/config). An existing cluster is the one target whose version the
 * stack does not pin, so `pulumi up` checks it before registering anything.
 */
export async function existingClusterVersion(context: string | undefined): Promise<string> {
  // Loaded here, not with the program: the offline plan and the tests never ask a cluster.
  const { KubeConfig, VersionApi } = await import("@kubernetes/client-node");
  const config = new KubeConfig();
  config.loadFromDefault();
  if (context) config.setCurrentContext(context);
  const where = `kube context ${config.getCurrentContext() || "(none)"}`;
  try {
    const info = await config.makeApiClient(VersionApi).getCode();
    return info.gitVersion;
  } catch (error) {
    throw new Error(`cannot read the Kubernetes version of ${where}: ${(error as Error).message}`);
  }
}

export class ExistingCluster extends ClusterComponent implements ClusterTarget {
  public readonly kubernetes: k8s.Provider;
  public readonly nodePools = [];
  public readonly backups: BackupStore | undefined;
  public readonly limitations: string[] = ["an existing cluster is not billed by this project: its cost report is zero"];

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
    if (args.cluster.ships.includes("traefik")) {
      // Its Traefik's settings are not the program's (the platform's own Traefik allows this: infra/platform/addons.ts).
      this.limitations.push(
        "the cluster's own Traefik must allow ExternalName Services, since every site reaches the shared cache through one (its `front` Service); " +
          "on k3s, a HelmChartConfig named traefik in kube-system with valuesContent `providers: { kubernetesIngress: { allowExternalNameServices: true } }`",
      );
    }
    this.registerOutputs({});
  }
}
