/**
 * The platform's own namespaces, decided in one place, and the label that
 * marks them. Creator namespaces are all `creator-<id>` (render/labels.ts); no
 * platform namespace starts with that prefix, so no creator id can ever map onto
 * one. NetworkPolicies admit the platform's namespaces by the role label, which
 * the program sets on the namespaces it creates and never on a creator's (the
 * guardrails check that).
 */
export const CREATOR_NAMESPACE_PREFIX = "creator-";

/** Set on each namespace the platform creates for itself; its value names the role. */
export const PLATFORM_ROLE_LABEL = "platform.creator-platform.io/role";

export const PLATFORM_NAMESPACES = {
  /** Where the operations tools run (analytics, backups): the only namespace admitted to sqld's port. */
  ops: "platform-ops",
  /** The monitoring stack (kube-prometheus-stack): admitted to sqld's metrics port. */
  monitoring: "monitoring",
  /** The platform's own Traefik, where the cluster ships none. */
  ingress: "traefik",
  "cert-manager": "cert-manager",
  /** The shared cache in front of every creator: admitted to Ghost's port in every creator namespace. */
  cache: "platform-cache",
  /** The sleep engine (Sablier), which scales sleeping creators' Ghost between zero and one. */
  sleep: "platform-sleep",
} as const;

export type PlatformRole = keyof typeof PLATFORM_NAMESPACES;

/** A platform namespace as the program creates it: named for its role and carrying the role label. */
export function platformNamespace(role: PlatformRole) {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: PLATFORM_NAMESPACES[role], labels: { [PLATFORM_ROLE_LABEL]: role, "app.kubernetes.io/part-of": "creator-platform" } },
  } as const;
}

/** The role a namespace name has, if it is one of the platform's. */
export function roleOfNamespace(name: string): PlatformRole | undefined {
  return (Object.keys(PLATFORM_NAMESPACES) as PlatformRole[]).find((role) => PLATFORM_NAMESPACES[role] === name);
}
