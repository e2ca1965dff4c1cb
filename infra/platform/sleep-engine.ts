/**
 * The sleep engine: Sablier (sablierapp/sablier), one small server that scales a
 * sleeping creator's Ghost Deployment between zero and one through its `/scale`
 * subresource. The shared cache's wake gate calls its blocking API on every
 * request Ghost must answer; each call starts or extends the creator's session,
 * and Sablier scales the Deployment to zero when the session expires. Why
 * Sablier and not KEDA's HTTP add-on: README, "Sleeping creators".
 *
 * Read in sablierapp/sablier v1.16.2 (and its chart, sablierapp/helm-charts sablier-1.7.1):
 * - pkg/sablier/autostop.go: with `--provider.auto-stop-on-startup` (default true) a restart
 *   scales to zero every labelled workload without a session in its store, i.e. every awake
 *   site when the store is empty. Off here: a restart must not put every site to sleep.
 * - pkg/sabliercmd/storage.go, start.go: `--storage.file` is read at start and written on a
 *   graceful shutdown only, so it lives on a volume that outlasts the pod (Recreate: one pod).
 *   After a crash the sessions are lost; awake sites stay awake until their next request
 *   through the wake gate starts a session that can expire.
 * - pkg/provider/kubernetes/workload_scale.go: GetScale then UpdateScale on deployments/scale;
 *   informers list and watch Deployments and StatefulSets cluster-wide.
 * - build/Dockerfile: FROM scratch, the static binary at /bin/sablier, any user id.
 * - internal/api/health.go: GET /health answers 200, 503 while shutting down.
 */
import { SLEEP_ENGINE_PORT } from "../contract/ports.ts";
import { SHARED_CACHE, SLEEP_ENGINE } from "../contract/sleep.ts";
import { platformPeer } from "../render/network-policies.ts";
import type { IDeployment, INetworkPolicy, IService, KubeObject } from "../render/objects.ts";
import { containerSecurity, podSecurity } from "../render/security.ts";
import { WAKE_SCHEDULER } from "./wake-scheduler.ts";

const UID = 65532;
const LABELS = { "app.kubernetes.io/name": SLEEP_ENGINE.name, "app.kubernetes.io/part-of": "creator-platform" };
const STATE_DIR = "/var/lib/sablier";

export interface SleepEngineInput {
  image: string;
  resources: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
  /** StorageClass of the sessions volume; undefined for the cluster's default. */
  storageClassName: string | undefined;
}

/** The sessions volume's size: a few KB of JSON, so the provider's smallest volume. */
export const SLEEP_ENGINE_VOLUME = "1Gi";

export function sleepEngineObjects(input: SleepEngineInput): KubeObject[] {
  const { name, namespace } = SLEEP_ENGINE;
  const metadata = { name, namespace, labels: LABELS };
  const health = { httpGet: { path: "/health", port: "http" } };
  const deployment: IDeployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata,
    spec: {
      // One server holds the sessions in memory: two would each expire the other's sites.
      replicas: 1,
      strategy: { type: "Recreate" },
      revisionHistoryLimit: 2,
      selector: { matchLabels: LABELS },
      template: {
        metadata: { labels: LABELS },
        spec: {
          serviceAccountName: name,
          enableServiceLinks: false,
          priorityClassName: "platform-critical",
          securityContext: podSecurity(UID),
          // Time to write the sessions file on SIGTERM.
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name: "sablier",
              image: input.image,
              args: [
                "start",
                "--provider.name=kubernetes",
                "--provider.auto-stop-on-startup=false",
                `--server.port=${SLEEP_ENGINE_PORT}`,
                `--storage.file=${STATE_DIR}/sessions.json`,
                `--strategy.blocking.default-timeout=45s`,
                "--logging.level=info",
              ],
              ports: [{ name: "http", containerPort: SLEEP_ENGINE_PORT }],
              readinessProbe: { ...health, periodSeconds: 5 },
              livenessProbe: { ...health, periodSeconds: 20, failureThreshold: 6 },
              resources: input.resources,
              securityContext: containerSecurity(UID),
              volumeMounts: [{ name: "state", mountPath: STATE_DIR }],
            },
          ],
          volumes: [{ name: "state", persistentVolumeClaim: { claimName: name } }],
        },
      },
    },
  };
  const service: IService = {
    apiVersion: "v1",
    kind: "Service",
    metadata,
    spec: { type: "ClusterIP", selector: LABELS, ports: [{ name: "http", port: SLEEP_ENGINE_PORT, targetPort: "http", protocol: "TCP" }] },
  };
  const policy: INetworkPolicy = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata,
    spec: {
      podSelector: { matchLabels: LABELS },
      policyTypes: ["Ingress"],
      // Only the shared cache's wake gate and the wake scheduler (which wakes sites for their
      // scheduled posts, wake-scheduler.ts); egress stays open for the Kubernetes API.
      ingress: [
        {
          from: [
            { ...platformPeer("cache"), podSelector: { matchLabels: { "app.kubernetes.io/name": SHARED_CACHE.name } } },
            { ...platformPeer("ops"), podSelector: { matchLabels: { "app.kubernetes.io/name": WAKE_SCHEDULER.name } } },
          ],
          ports: [{ protocol: "TCP", port: SLEEP_ENGINE_PORT }],
        },
      ],
    },
  };
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: `creator-platform-${name}`, labels: LABELS },
      rules: [
        { apiGroups: ["apps"], resources: ["deployments", "statefulsets"], verbs: ["get", "list", "watch"] },
        { apiGroups: ["apps"], resources: ["deployments/scale", "statefulsets/scale"], verbs: ["get", "update"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: `creator-platform-${name}`, labels: LABELS },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `creator-platform-${name}` },
      subjects: [{ kind: "ServiceAccount", name, namespace }],
    },
    {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata,
      spec: {
        accessModes: ["ReadWriteOnce"],
        ...(input.storageClassName ? { storageClassName: input.storageClassName } : {}),
        resources: { requests: { storage: SLEEP_ENGINE_VOLUME } },
      },
    },
    deployment,
    service,
    policy,
  ];
}
