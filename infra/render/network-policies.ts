/**
 * Network isolation for one creator namespace: deny everything, then admit
 * exactly what the site needs.
 *
 * - In: the ingress controller reaches the public-facing pods (the cache tier
 *   when the plan has one, otherwise Ghost) and cert-manager's HTTP-01 solver.
 * - Between tiers: the cache reaches Ghost, nothing else does.
 * - Out: DNS to the cluster's resolver, and Ghost to the public internet (mail,
 *   webhooks, oEmbed). Private and link-local ranges are excluded, so no pod of
 *   another creator, no Service and no cloud metadata endpoint is reachable.
 */
import type { IIoK8sApiNetworkingV1NetworkPolicyPeer } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer";
import type { IngressController } from "../config/schema.ts";
import { MONITORING_NAMESPACE, SQLD_METRICS_PORT } from "../platform/monitoring.ts";
import { type Component, type Owner, creatorLabels, namespaceOf, selectorLabels } from "./labels.ts";
import type { INetworkPolicy } from "./objects.ts";

export const GHOST_PORT = 2368;
/** sqld's HTTP port, reached by the operations tools (`npm run ops`) from this namespace only. */
export const SQLD_PORT = 8080;
export const OPS_NAMESPACE = "creator-platform-ops";
export const CACHE_PORT = 8080;
/** cert-manager's HTTP-01 solver pods listen here and carry this label. */
export const ACME_SOLVER_PORT = 8089;
export const ACME_SOLVER_LABEL = { "acme.cert-manager.io/http01-solver": "true" };

/** Addresses that are never the public internet: cluster networks, VPCs, metadata services. */
export const NON_PUBLIC_IPV4 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "127.0.0.0/8"];
export const NON_PUBLIC_IPV6 = ["fc00::/7", "fe80::/10", "::1/128"];

export interface NetworkPolicyInput {
  owner: Owner;
  ingress: IngressController;
  /** The component the ingress controller sends traffic to. */
  publicComponent: Extract<Component, "ghost" | "cache">;
  cache: boolean;
  /** Admit the monitoring namespace's Prometheus to sqld's metrics port. */
  monitoring: boolean;
}

export function networkPolicies(input: NetworkPolicyInput): INetworkPolicy[] {
  const { owner } = input;
  const namespace = namespaceOf(owner.id);
  const policy = (name: string, spec: INetworkPolicy["spec"]): INetworkPolicy => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace, labels: creatorLabels(owner, "network") },
    spec,
  });
  const ingressController: IIoK8sApiNetworkingV1NetworkPolicyPeer = {
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": input.ingress.namespace } },
    podSelector: { matchLabels: input.ingress.podLabels },
  };
  const publicPort = input.publicComponent === "cache" ? CACHE_PORT : GHOST_PORT;

  const policies = [
    policy("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
    policy("allow-dns", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
              podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
            },
          ],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
      ],
    }),
    policy("allow-ingress-controller", {
      podSelector: { matchLabels: selectorLabels(owner.id, input.publicComponent) },
      policyTypes: ["Ingress"],
      ingress: [{ from: [ingressController], ports: [{ protocol: "TCP", port: publicPort }] }],
    }),
    policy("allow-acme-solver", {
      podSelector: { matchLabels: ACME_SOLVER_LABEL },
      policyTypes: ["Ingress"],
      ingress: [{ from: [ingressController], ports: [{ protocol: "TCP", port: ACME_SOLVER_PORT }] }],
    }),
    policy("allow-ops-to-sqld", {
      podSelector: { matchLabels: selectorLabels(owner.id, "ghost") },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": OPS_NAMESPACE } } }],
          ports: [{ protocol: "TCP", port: SQLD_PORT }],
        },
      ],
    }),
    policy("allow-ghost-internet-egress", {
      podSelector: { matchLabels: selectorLabels(owner.id, "ghost") },
      policyTypes: ["Egress"],
      egress: [
        {
          to: [
            { ipBlock: { cidr: "0.0.0.0/0", except: NON_PUBLIC_IPV4 } },
            { ipBlock: { cidr: "::/0", except: NON_PUBLIC_IPV6 } },
          ],
        },
      ],
    }),
  ];
  if (input.monitoring) {
    policies.push(
      policy("allow-monitoring", {
        podSelector: { matchLabels: selectorLabels(owner.id, "ghost") },
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": MONITORING_NAMESPACE } },
                podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
              },
            ],
            ports: [{ protocol: "TCP", port: SQLD_METRICS_PORT }],
          },
        ],
      }),
    );
  }
  if (input.cache) {
    const cachePods = { podSelector: { matchLabels: selectorLabels(owner.id, "cache") } };
    const ghostPods = { podSelector: { matchLabels: selectorLabels(owner.id, "ghost") } };
    policies.push(
      policy("allow-cache-to-ghost", {
        podSelector: ghostPods.podSelector,
        policyTypes: ["Ingress"],
        ingress: [{ from: [cachePods], ports: [{ protocol: "TCP", port: GHOST_PORT }] }],
      }),
      policy("allow-cache-egress-to-ghost", {
        podSelector: cachePods.podSelector,
        policyTypes: ["Egress"],
        egress: [{ to: [ghostPods], ports: [{ protocol: "TCP", port: GHOST_PORT }] }],
      }),
    );
  }
  return policies;
}
