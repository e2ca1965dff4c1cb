/**
 * What each kind of cluster brings with it, decided in one place: which add-ons
 * it already runs, where its ingress controller lives, and its storage classes.
 * The cluster components and PlatformAddons read these facts; nothing else in
 * the program asks which provider it is on.
 */
import type { AddonName, Cluster, IngressController, Storage } from "../config/schema.ts";

export interface ClusterFacts {
  /** Add-ons the provider installs itself; PlatformAddons skips them. */
  ships: ReadonlySet<AddonName>;
  ingress: IngressController;
  /** StorageClass for creator volumes by storage type; undefined means the cluster's default class. */
  storageClass: Record<Storage["type"], string | undefined>;
}

const TRAEFIK_LABELS = { "app.kubernetes.io/name": "traefik" };

/** Where PlatformAddons installs Traefik when the cluster has none. */
export const PLATFORM_TRAEFIK: IngressController = { className: "traefik", namespace: "traefik", podLabels: TRAEFIK_LABELS };

export function clusterFacts(cluster: Cluster): ClusterFacts {
  switch (cluster.provider) {
    case "civo":
      return {
        // Civo installs its marketplace Traefik (the load-balancer variant, chosen in the cluster
        // adapter) and metrics-server into kube-system on every k3s cluster.
        ships: new Set(["traefik", "metrics-server"]),
        ingress: cluster.ingress ?? { className: "traefik", namespace: "kube-system", podLabels: TRAEFIK_LABELS },
        storageClass: { block: "civo-volume", local: "local-path" },
      };
    case "linode":
      return {
        // LKE ships neither an ingress controller nor metrics-server.
        ships: new Set(),
        ingress: cluster.ingress ?? PLATFORM_TRAEFIK,
        // The retaining class keeps a creator's volume if its claim is ever deleted.
        storageClass: { block: "linode-block-storage-retain", local: "local-path" },
      };
    case "existing":
      return {
        ships: new Set(cluster.ships),
        ingress:
          cluster.ingress ??
          (cluster.ships.includes("traefik")
            ? { className: "traefik", namespace: "kube-system", podLabels: TRAEFIK_LABELS }
            : PLATFORM_TRAEFIK),
        storageClass: { block: undefined, local: "local-path" },
      };
  }
}
