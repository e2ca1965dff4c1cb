/**
 * What the cluster tests compare: the objects the offline plan renders for a
 * stack file (`npm run plan -- --out`) against what the API server holds.
 * Objects are keyed `<Kind>/<namespace>/<name>`; only objects carrying the
 * platform's `app.kubernetes.io/part-of` label count (the API server adds its
 * own, such as each namespace's `default` ServiceAccount).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { bytes, cpuMillis } from "../../infra/config/quantity.ts";
import { CREATOR_NAMESPACE_PREFIX } from "../../infra/contract/namespaces.ts";
import { REPO_ROOT } from "../../scripts/tools/build-tools.ts";
import type { ControlPlane } from "../../scripts/cluster/control-plane.ts";

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; resourceVersion?: string; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export const keyOf = (o: KubeObject): string => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;

/** Namespaced kinds a creator owns, as API paths. */
const CREATOR_KINDS: Array<[string, string]> = [
  ["/api/v1", "serviceaccounts"],
  ["/api/v1", "resourcequotas"],
  ["/api/v1", "limitranges"],
  ["/api/v1", "persistentvolumeclaims"],
  ["/api/v1", "secrets"],
  ["/api/v1", "configmaps"],
  ["/api/v1", "services"],
  ["/apis/apps/v1", "deployments"],
  ["/apis/networking.k8s.io/v1", "ingresses"],
  ["/apis/networking.k8s.io/v1", "networkpolicies"],
  ["/apis/autoscaling/v2", "horizontalpodautoscalers"],
  ["/apis/traefik.io/v1alpha1", "middlewares"],
];
const PART_OF = "app.kubernetes.io/part-of=creator-platform";

/** The offline plan's objects for a stack file (the real program under the mock runtime, in its own process). */
export async function plannedObjects(stackFile: string): Promise<KubeObject[]> {
  const out = mkdtempSync(join(tmpdir(), "planned-"));
  try {
    await promisify(execFile)(process.execPath, ["--import", "tsx", join(REPO_ROOT, "scripts/plan.ts"), "--config", stackFile, "--out", out, "--json"], {
      cwd: REPO_ROOT,
      maxBuffer: 64 * 2 ** 20,
    });
    return readdirSync(out)
      .filter((f) => f.endsWith(".yaml"))
      .flatMap((f) => parseAllDocuments(readFileSync(join(out, f), "utf8")).map((d) => d.toJS() as KubeObject | null))
      .filter((o): o is KubeObject => o !== null && typeof o === "object" && typeof o.kind === "string");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

async function list(cp: ControlPlane, path: string): Promise<KubeObject[]> {
  const response = await cp.request<{ items?: KubeObject[]; kind: string }>("GET", path, undefined, { query: { labelSelector: PART_OF } });
  if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${response.text.slice(0, 300)}`);
  const kind = response.body.kind.replace(/List$/, "");
  return (response.body.items ?? []).map((item) => ({ ...item, kind }));
}

/** Every platform object in creator namespaces, and the creator namespaces themselves. */
export async function liveCreatorObjects(cp: ControlPlane): Promise<Map<string, KubeObject>> {
  const namespaces = (await list(cp, "/api/v1/namespaces")).filter((n) => n.metadata.name.startsWith(CREATOR_NAMESPACE_PREFIX));
  const objects = [...namespaces];
  for (const ns of namespaces) {
    for (const [group, resource] of CREATOR_KINDS) objects.push(...(await list(cp, `${group}/namespaces/${ns.metadata.name}/${resource}`)));
  }
  return new Map(objects.map((o) => [keyOf(o), o]));
}

/** A creator's namespace, or an object in one. */
export const isCreatorObject = (o: KubeObject): boolean =>
  (o.kind === "Namespace" ? o.metadata.name : (o.metadata.namespace ?? "")).startsWith(CREATOR_NAMESPACE_PREFIX);

/** Plural resource names of the kinds the program registers, by kind (the API's REST paths). */
const RESOURCES: Record<string, string> = {
  Namespace: "namespaces",
  PriorityClass: "priorityclasses",
  ClusterRole: "clusterroles",
  ClusterRoleBinding: "clusterrolebindings",
  Secret: "secrets",
  ServiceAccount: "serviceaccounts",
  ConfigMap: "configmaps",
  Service: "services",
  PersistentVolumeClaim: "persistentvolumeclaims",
  Role: "roles",
  RoleBinding: "rolebindings",
  Deployment: "deployments",
  CronJob: "cronjobs",
  HorizontalPodAutoscaler: "horizontalpodautoscalers",
  PodDisruptionBudget: "poddisruptionbudgets",
  NetworkPolicy: "networkpolicies",
};

/** The API path of one object of a kind the program registers. */
export function objectPath(o: KubeObject): string {
  const resource = RESOURCES[o.kind];
  if (!resource) throw new Error(`objectPath: no path for ${keyOf(o)} (add its kind)`);
  const group = o.apiVersion.includes("/") ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  const ns = o.metadata.namespace;
  return ns ? `${group}/namespaces/${ns}/${resource}/${o.metadata.name}` : `${group}/${resource}/${o.metadata.name}`;
}

export const creatorOfKey = (key: string): string => {
  const [kind, namespace, name] = key.split("/");
  const ns = kind === "Namespace" ? (name ?? "") : (namespace ?? "");
  return ns.slice(CREATOR_NAMESPACE_PREFIX.length);
};

function sameQuantity(a: string, b: string): boolean {
  for (const parse of [cpuMillis, bytes]) {
    try {
      if (parse(a) === parse(b)) return true;
    } catch {
      // not this kind of quantity
    }
  }
  return false;
}

/**
 * Where `expected` is not contained in `actual` (the server adds defaults, so
 * extra fields are fine), as paths; empty when it is. Quantities compare by value.
 */
export function notContained(expected: unknown, actual: unknown, path = ""): string[] {
  if (expected === null || typeof expected !== "object") {
    if (expected === actual) return [];
    if (typeof expected === "string" && typeof actual === "string" && sameQuantity(expected, actual)) return [];
    if (typeof expected === "number" && typeof actual === "string" && sameQuantity(String(expected), actual)) return [];
    return [`${path}: expected ${JSON.stringify(expected)}, found ${JSON.stringify(actual)}`];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return [`${path}: expected ${expected.length} items, found ${JSON.stringify(actual)?.slice(0, 200)}`];
    return expected.flatMap((item, i) => notContained(item, actual[i], `${path}[${i}]`));
  }
  if (actual === null || typeof actual !== "object") return [`${path}: expected an object, found ${JSON.stringify(actual)}`];
  return Object.entries(expected as Record<string, unknown>).flatMap(([k, v]) =>
    notContained(v, (actual as Record<string, unknown>)[k], path ? `${path}.${k}` : k),
  );
}
