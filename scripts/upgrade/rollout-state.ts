/**
 * What the upgrade reads from the cluster: each creator's Deployment `ghost`,
 * its ReplicaSets and its Pods, through a kubeconfig (@kubernetes/client-node), turned into
 * the plain views verdict.ts decides on; and a site's answer over HTTP.
 */
import { AppsV1Api, CoreV1Api, KubeConfig, type V1Deployment, type V1Pod, type V1PodSpec, type V1ReplicaSet } from "@kubernetes/client-node";
import { namespaceOf } from "../../infra/render/labels.ts";
import { GHOST_NAME } from "../../infra/render/ghost-pod.ts";
import type { DeploymentView, ExpectedImages, PodView } from "./verdict.ts";

export interface CreatorWorkload {
  deployment: DeploymentView | undefined;
  pods: PodView[];
}

export interface ClusterReader {
  /** Where it reads (the kube context), for messages. */
  where: string;
  workload(id: string): Promise<CreatorWorkload>;
}

export interface SiteAnswer {
  url: string;
  status?: number;
  error?: string;
}

function imagesOf(spec: V1PodSpec | undefined): Partial<ExpectedImages> {
  const ghost = spec?.containers.find((c) => c.name === "ghost")?.image;
  const sqld = spec?.initContainers?.find((c) => c.name === "sqld")?.image;
  return { ...(ghost ? { ghost } : {}), ...(sqld ? { sqld } : {}) };
}

const REVISION = "deployment.kubernetes.io/revision";

/** The Deployment, and the ReplicaFailure of the ReplicaSet of its current revision among `replicaSets`. */
export function deploymentView(d: V1Deployment, replicaSets: readonly V1ReplicaSet[] = []): DeploymentView {
  const revision = d.metadata?.annotations?.[REVISION];
  const current = revision === undefined ? undefined : replicaSets.find((rs) => rs.metadata?.annotations?.[REVISION] === revision);
  const failure = current?.status?.conditions?.find((c) => c.type === "ReplicaFailure" && c.status === "True");
  return {
    ...(failure ? { replicaFailure: { reason: failure.reason ?? "?", message: failure.message ?? "" } } : {}),
    generation: d.metadata?.generation ?? 0,
    observedGeneration: d.status?.observedGeneration ?? 0,
    replicas: d.spec?.replicas ?? 1,
    updatedReplicas: d.status?.updatedReplicas ?? 0,
    readyReplicas: d.status?.readyReplicas ?? 0,
    images: imagesOf(d.spec?.template.spec),
    conditions: (d.status?.conditions ?? []).map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message })),
  };
}

export function podView(p: V1Pod): PodView {
  const statuses = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])];
  const scheduled = p.status?.conditions?.find((c) => c.type === "PodScheduled");
  return {
    name: p.metadata?.name ?? "?",
    images: imagesOf(p.spec),
    waiting: statuses.flatMap((s) => (s.state?.waiting?.reason ? [{ container: s.name, reason: s.state.waiting.reason, message: s.state.waiting.message }] : [])),
    unschedulable:
      scheduled?.status === "False" && scheduled.reason === "Unschedulable"
        ? { since: new Date(scheduled.lastTransitionTime ?? Date.now()).getTime(), message: scheduled.message ?? "" }
        : undefined,
  };
}

const statusCode = (error: unknown): number | undefined => (typeof error === "object" && error !== null && "code" in error && typeof error.code === "number" ? error.code : undefined);

/** A reader through `kubeconfig` (default: KUBECONFIG or ~/.kube/config) and `context` (default: its current one). */
export function kubeReader(options: { kubeconfig?: string | undefined; context?: string | undefined }): ClusterReader {
  const config = new KubeConfig();
  if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
  else config.loadFromDefault();
  if (options.context) config.setCurrentContext(options.context);
  const apps = config.makeApiClient(AppsV1Api);
  const core = config.makeApiClient(CoreV1Api);
  const where = `kube context ${config.getCurrentContext() || "(none)"} (${config.getCurrentCluster()?.server ?? "no server"})`;
  return {
    where,
    async workload(id) {
      const namespace = namespaceOf(id);
      let deployment: V1Deployment;
      try {
        deployment = await apps.readNamespacedDeployment({ name: GHOST_NAME, namespace });
      } catch (error) {
        if (statusCode(error) === 404) return { deployment: undefined, pods: [] };
        throw new Error(`reading ${namespace}/deployments/${GHOST_NAME} through ${where}: ${statusCode(error) ?? (error as Error).message}`);
      }
      const labels = deployment.spec?.selector.matchLabels ?? {};
      const labelSelector = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(",");
      const [pods, replicaSets] = await Promise.all([
        core.listNamespacedPod({ namespace, labelSelector }),
        apps.listNamespacedReplicaSet({ namespace, labelSelector }),
      ]);
      return { deployment: deploymentView(deployment, replicaSets.items), pods: pods.items.map(podView) };
    },
  };
}

/** One GET of `url`, redirects not followed (a 3xx is an answer), within `timeoutMs`. */
export async function fetchSite(url: string, timeoutMs: number): Promise<SiteAnswer> {
  try {
    const response = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return { url, status: response.status };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { url, error: cause?.code ?? cause?.message ?? (error as Error).message };
  }
}
