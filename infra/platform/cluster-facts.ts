/**
 * What each kind of cluster brings with it, decided in one place: which add-ons
 * it already runs, where its ingress controller lives, and its storage classes.
 * The cluster components and PlatformAddons read these facts; nothing else in
 * the program asks which provider it is on.
 */
import type { AddonName, Cluster, IngressController, Storage } from "../config/schema.ts";
import { PLATFORM_NAMESPACES } from "../contract/namespaces.ts";

export interface ClusterFacts {
  /** Add-ons the provider installs itself; PlatformAddons skips them. */
  ships: ReadonlySet<AddonName>;
  ingress: IngressController;
  /** StorageClass for creator volumes by storage type; undefined means the cluster's default class. */
  storageClass: Record<Storage["type"], string | undefined>;
}

const TRAEFIK_LABELS = { "app.kubernetes.io/name": "traefik" };

/** Where PlatformAddons installs Traefik when the cluster has none. */
export const PLATFORM_TRAEFIK: IngressController = { className: "traefik", namespace: PLATFORM_NAMESPACES.ingress, podLabels: TRAEFIK_LABELS };

/**
 * Civo's marketplace applications for a k3s cluster: what the Civo adapter asks
 * for (`-name` removes an application Civo installs by default) and, from the
 * same list, what the cluster then ships. Civo's default Traefik
 * (`traefik2-nodeport`, Traefik 2.9 on host ports) is removed, and its
 * `traefik2-loadbalancer` is not used: it is Traefik v2.11.0 with no
 * IngressClass object, and Traefik v2.11 skips every Ingress whose
 * `ingressClassName` names no IngressClass of controller
 * `traefik.io/ingress-controller` (traefik v2.11.53
 * pkg/provider/kubernetes/ingress/kubernetes.go `shouldProcessIngress`;
 * civo/kubernetes-marketplace traefik2-loadbalancer/app.yaml). The platform
 * installs its own Traefik on Civo as on Linode: one version, one set of
 * CRDs (the wildcard certificate's TLSStore) and one tested configuration on
 * every cloud, behind one load balancer.
 */
export const CIVO_MARKETPLACE: ReadonlyArray<{ app: string; install: boolean; addon?: AddonName }> = [
  { app: "traefik2-nodeport", install: false },
  { app: "metrics-server", install: true, addon: "metrics-server" },
];

/** The `applications` setting of a Civo k3s cluster. */
export const civoApplications = (): string => CIVO_MARKETPLACE.map((a) => (a.install ? a.app : `-${a.app}`)).join(",");

export function clusterFacts(cluster: Cluster): ClusterFacts {
  switch (cluster.provider) {
    case "civo":
      return {
        ships: new Set(CIVO_MARKETPLACE.flatMap((a) => (a.install && a.addon ? [a.addon] : []))),
        ingress: cluster.ingress ?? PLATFORM_TRAEFIK,
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
