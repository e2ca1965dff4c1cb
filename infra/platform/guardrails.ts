/**
 * Rules no creator object may break, whatever produced it: checked on every
 * object of the offline plan, and by the policy pack (policy/) on every
 * `pulumi preview` and `pulumi up`, so a hand edit or a new code path cannot
 * slip past them.
 *
 * - Ghost supports exactly one instance per site: its Deployment never has more
 *   than one replica, rolls with Recreate, and no autoscaler targets it.
 * - The sleep engine may scale Ghost up to one replica only (`sablier.active.replicas: "1"`).
 * - One shared ingress serves every site: no LoadBalancer or NodePort Service in
 *   a creator namespace (a load balancer per creator would cost ~$10 a month),
 *   and the one ExternalName Service points at the shared cache.
 * - Every container of a creator runs under the restricted profile.
 * - No creator namespace carries the platform's role label (NetworkPolicies
 *   admit the platform's namespaces by it).
 */
import { CREATOR_NAMESPACE_PREFIX, PLATFORM_ROLE_LABEL } from "../contract/namespaces.ts";
import { AWAKE_REPLICAS, SABLIER_LABELS, sharedCacheHost } from "../contract/sleep.ts";

export interface Manifest {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: unknown;
}

interface Container {
  name?: string;
  securityContext?: {
    runAsNonRoot?: boolean;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
}

interface WorkloadSpec {
  replicas?: number;
  strategy?: { type?: string };
  template?: { spec?: { containers?: Container[]; initContainers?: Container[] } };
}

const isCreatorNamespace = (m: Manifest): boolean =>
  (m.kind === "Namespace" ? m.metadata?.name : m.metadata?.namespace)?.startsWith(CREATOR_NAMESPACE_PREFIX) === true;
const isGhost = (m: Manifest): boolean =>
  m.metadata?.name === "ghost" || m.metadata?.labels?.["app.kubernetes.io/component"] === "ghost";

function containerViolations(where: string, containers: Container[]): string[] {
  return containers.flatMap((c) => {
    const s = c.securityContext;
    const problems = [
      s?.runAsNonRoot !== true && "runAsNonRoot is not true",
      s?.readOnlyRootFilesystem !== true && "readOnlyRootFilesystem is not true",
      s?.allowPrivilegeEscalation !== false && "allowPrivilegeEscalation is not false",
      !s?.capabilities?.drop?.includes("ALL") && "capabilities do not drop ALL",
    ].filter((p): p is string => typeof p === "string");
    return problems.map((p) => `${where}: container ${c.name ?? "(unnamed)"}: ${p}`);
  });
}

/** What is wrong with one object, in words an operator can act on; empty when nothing is. */
export function guardrailViolations(m: Manifest): string[] {
  if (!isCreatorNamespace(m)) return [];
  const where = m.kind === "Namespace" ? `Namespace ${m.metadata?.name}` : `${String(m.kind)} ${m.metadata?.namespace}/${m.metadata?.name}`;
  const violations: string[] = [];
  if (m.kind === "Deployment") {
    const spec = (m.spec ?? {}) as WorkloadSpec;
    if (isGhost(m)) {
      if ((spec.replicas ?? 1) > 1) violations.push(`${where}: Ghost supports one instance per site, not ${spec.replicas} replicas`);
      const labels = m.metadata?.labels ?? {};
      if (labels[SABLIER_LABELS.enable] === "true" && labels[SABLIER_LABELS.activeReplicas] !== String(AWAKE_REPLICAS)) {
        violations.push(`${where}: the sleep engine would wake it to ${labels[SABLIER_LABELS.activeReplicas] ?? "the name's"} replicas; set ${SABLIER_LABELS.activeReplicas}: "${AWAKE_REPLICAS}"`);
      }
      if (spec.strategy?.type !== "Recreate") violations.push(`${where}: Ghost must roll with the Recreate strategy (two Ghosts would share one database)`);
    }
    const pod = spec.template?.spec;
    violations.push(...containerViolations(where, [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]));
  }
  if (m.kind === "HorizontalPodAutoscaler") {
    const target = (m.spec as { scaleTargetRef?: { name?: string } } | undefined)?.scaleTargetRef?.name;
    if (target === "ghost") violations.push(`${where}: nothing may scale Ghost (one instance per site); only the sleep engine scales it, between zero and one`);
  }
  if (m.kind === "Namespace" && m.metadata?.labels?.[PLATFORM_ROLE_LABEL] !== undefined) {
    violations.push(`${where}: carries ${PLATFORM_ROLE_LABEL}, which admits a namespace to every creator's sqld`);
  }
  if (m.kind === "Service") {
    const spec = m.spec as { type?: string; externalName?: string } | undefined;
    const type = spec?.type ?? "ClusterIP";
    const toSharedCache = type === "ExternalName" && spec?.externalName === sharedCacheHost;
    if (type !== "ClusterIP" && !toSharedCache) {
      violations.push(
        type === "ExternalName"
          ? `${where}: an ExternalName Service to ${spec?.externalName} would send a creator's traffic past the shared cache (${sharedCacheHost})`
          : `${where}: type ${type} in a creator namespace: one shared ingress serves every site`,
      );
    }
  }
  return violations;
}
