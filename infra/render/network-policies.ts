/**
 * Network isolation for one creator namespace: deny everything, then one
 * policy per kind of pod saying exactly who may reach it and where it may go.
 *
 * - Ghost's pod: the shared cache (infra/platform/shared-cache.ts) reaches Ghost's port; the platform's ops namespace reaches sqld's port and
 *   the monitoring namespace its metrics port, both still behind sqld's JWT or
 *   NetworkPolicy alone for metrics. Out: DNS, and the public internet (mail,
 *   webhooks, oEmbed, the backups bucket). Private and link-local ranges are
 *   excluded, so no pod of another creator, no Service and no cloud metadata
 *   endpoint is reachable.
 * - cert-manager's HTTP-01 solver pods: in from the ingress controller.
 */
import type { IIoK8sApiNetworkingV1NetworkPolicyPeer } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer";
import type { IngressController } from "../config/schema.ts";
import { PLATFORM_ROLE_LABEL, type PlatformRole } from "../contract/namespaces.ts";
import { ACME_SOLVER_PORT, GHOST_PORT, SQLD_METRICS_PORT, SQLD_PORT } from "../contract/ports.ts";
import { SHARED_CACHE } from "../contract/sleep.ts";
import { type Owner, creatorLabels, namespaceOf, selectorLabels } from "./labels.ts";
import type { INetworkPolicy } from "./objects.ts";

/** cert-manager's HTTP-01 solver pods carry this label. */
export const ACME_SOLVER_LABEL = { "acme.cert-manager.io/http01-solver": "true" };

/** Addresses that are never the public internet: cluster networks, VPCs, metadata services. */
export const NON_PUBLIC_IPV4 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "127.0.0.0/8"];
export const NON_PUBLIC_IPV6 = ["fc00::/7", "fe80::/10", "::1/128"];

export interface NetworkPolicyInput {
  owner: Owner;
  ingress: IngressController;
  /** Admit the monitoring namespace's Prometheus to sqld's metrics port. */
  monitoring: boolean;
}

export const namespacePeer = (namespace: string): IIoK8sApiNetworkingV1NetworkPolicyPeer => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
});
/** A platform namespace, by the role label only the program sets on the namespaces it creates for itself. */
export const platformPeer = (role: PlatformRole): IIoK8sApiNetworkingV1NetworkPolicyPeer => ({
  namespaceSelector: { matchLabels: { [PLATFORM_ROLE_LABEL]: role } },
});
const tcp = (port: number) => [{ protocol: "TCP" as const, port }];

/** Egress to the cluster's DNS (kube-dns in kube-system). */
export const DNS = {
  to: [{ ...namespacePeer("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
  ports: [
    { protocol: "UDP" as const, port: 53 },
    { protocol: "TCP" as const, port: 53 },
  ],
};
const PUBLIC_INTERNET = {
  to: [{ ipBlock: { cidr: "0.0.0.0/0", except: NON_PUBLIC_IPV4 } }, { ipBlock: { cidr: "::/0", except: NON_PUBLIC_IPV6 } }],
};

export function networkPolicies(input: NetworkPolicyInput): INetworkPolicy[] {
  const { owner } = input;
  const policy = (name: string, spec: INetworkPolicy["spec"]): INetworkPolicy => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace: namespaceOf(owner.id), labels: creatorLabels(owner, "network") },
    spec,
  });
  const ingressController: IIoK8sApiNetworkingV1NetworkPolicyPeer = {
    ...namespacePeer(input.ingress.namespace),
    podSelector: { matchLabels: input.ingress.podLabels },
  };
  const ghostPods = { matchLabels: selectorLabels(owner.id, "ghost") };
  const sharedCache = { ...platformPeer("cache"), podSelector: { matchLabels: { "app.kubernetes.io/name": SHARED_CACHE.name } } };

  return [
    policy("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
    policy("ghost", {
      podSelector: ghostPods,
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        { from: [sharedCache], ports: tcp(GHOST_PORT) },
        { from: [platformPeer("ops")], ports: tcp(SQLD_PORT) },
        ...(input.monitoring
          ? [
              {
                from: [{ ...platformPeer("monitoring"), podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } }],
                ports: tcp(SQLD_METRICS_PORT),
              },
            ]
          : []),
      ],
      egress: [DNS, PUBLIC_INTERNET],
    }),
    policy("acme-solver", {
      podSelector: { matchLabels: ACME_SOLVER_LABEL },
      policyTypes: ["Ingress"],
      ingress: [{ from: [ingressController], ports: tcp(ACME_SOLVER_PORT) }],
    }),
  ];
}
