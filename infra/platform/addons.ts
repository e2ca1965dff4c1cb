/**
 * The platform add-ons of one cluster, as data: which Helm chart at which
 * pinned version, its values, and what it asks of the nodes. PlatformAddons
 * installs those with `installed: true`; the cost model counts all of them,
 * because an add-on the provider ships still takes room on the nodes.
 *
 * Requests are set explicitly in every chart's values (chart defaults are
 * sized for large clusters) and the same numbers are reported here.
 *
 * Every value key and every behaviour relied on here was read in the chart's
 * source at the pinned version; test/platform/upstream-rules.test.ts encodes
 * each rule with the file it comes from, and is the checklist when a version
 * changes. What Pulumi's `helm.v4.Chart` (pulumi-kubernetes v4.34.2,
 * provider/pkg/provider/helm/v4/chart.go) does differently from `helm install`:
 * - it drops every Helm hook (`DisableHooks = true`): nothing a hook creates
 *   may be needed, and a hook that must run is turned into an ordinary object;
 * - it takes `.Capabilities.APIVersions` from the live cluster when the chart
 *   is expanded, so a template that checks for a CRD another chart of the same
 *   `pulumi up` installs fails on a fresh cluster. No chart here is asked to
 *   render monitoring objects: the platform creates them (monitoring.ts),
 *   ordered after the monitoring chart.
 */
import type { AddonName } from "../config/schema.ts";
import type { ResolvedConfig } from "../config/validate.ts";
import { PLATFORM_NAMESPACES } from "../contract/namespaces.ts";
import { clusterFacts } from "./cluster-facts.ts";
import { sleepsNow } from "../config/plans.ts";
import { type KubeObject, READ_BY_WORKLOADS, WORKLOAD_KINDS } from "../render/objects.ts";
import { resolveImages } from "../images.ts";
import { sharedCacheObjects } from "./shared-cache.ts";
import { sleepEngineObjects } from "./sleep-engine.ts";
import { type SleepingPlans, type WakeSchedulerObject, wakeSchedulerObjects } from "./wake-scheduler.ts";
import { durationMinutes } from "../config/schema.ts";
import { DASHBOARD_SIDECAR, GRAFANA_ADMIN } from "./dashboards.ts";

export interface Requests {
  cpuMillis: number;
  memoryMiB: number;
  pods: number;
}

export interface AddonSpec {
  name: AddonName | "local-path-provisioner" | "shared-cache" | "sleep-engine";
  namespace: string;
  chart: { repo: string; name: string; version: string } | undefined;
  /** A plain manifest URL, for the one add-on without an official chart. */
  manifest?: string;
  /** Objects the platform renders itself (the shared cache, the sleep engine and its wake scheduler). */
  objects?: Array<KubeObject | WakeSchedulerObject>;
  /** The manifest creates its namespace itself: the program must not create it too (a 409 on the second create). */
  manifestCreatesNamespace?: boolean;
  /**
   * Values given as a YAML file, for settings that must be `null`: only a null in
   * a values file deletes a chart default (Helm's coalescing), whatever the
   * engine does with a null in `values`.
   */
  valuesYaml?: string;
  /** false when the cluster already runs it (the provider ships it). */
  installed: boolean;
  /** Requests of the add-on's fixed pods. */
  requests: Requests;
  /** Requests per node (DaemonSets). */
  perNode?: Requests;
  values: Record<string, unknown>;
  /** Where the requests are an estimate rather than values this project sets. */
  estimate?: string;
}

const priority = "platform-critical";
const resources = (cpuMillis: number, memoryMiB: number, memoryLimitMiB = memoryMiB * 2) => ({
  requests: { cpu: `${cpuMillis}m`, memory: `${memoryMiB}Mi` },
  limits: { memory: `${memoryLimitMiB}Mi` },
});

/** Prometheus memory grows with series: a base plus about 1.5 MiB per creator (pod, container and sqld series). */
export function prometheusMemoryMiB(creators: number): number {
  return 256 + Math.ceil(creators * 1.5);
}

/** A ConfigGroup's reference to one of its objects (`<group>/namespaces/<namespace>/<kind>/<name>`, core group empty). */
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
}

function groupReference(o: Manifest): string {
  const group = o.apiVersion.includes("/") ? o.apiVersion.split("/")[0] : "";
  const namespace = o.metadata?.namespace;
  return namespace ? `${group}/namespaces/${namespace}/${o.kind}/${o.metadata?.name}` : `${group}/${o.kind}/${o.metadata?.name}`;
}

/**
 * The platform's own add-on objects in the order CreatorSite gives a creator's:
 * each workload after what its Pods read. A ConfigGroup applies its objects in
 * parallel unless one names another in its `config.kubernetes.io/depends-on`
 * annotation (pulumi-kubernetes v4.25.0 provider/pkg/gen/examples/overlays/configGroupV2.md,
 * provider/pkg/provider/yaml/v2/yaml.go); without it the API server refused the
 * sleep engine's first ReplicaSet ("error looking up service account").
 */
export function workloadsLast<T extends Manifest>(objects: T[]): T[] {
  const read = objects.filter((o) => READ_BY_WORKLOADS.has(o.kind)).map(groupReference).join(",");
  if (!read) return objects;
  return objects.map((o) =>
    WORKLOAD_KINDS.has(o.kind) ? { ...o, metadata: { ...o.metadata, annotations: { ...o.metadata?.annotations, "config.kubernetes.io/depends-on": read } } } : o,
  );
}

/** Active creators whose plan sleeps: the sleep engine is installed when there is one. */
export function sleepingCreators(config: Pick<ResolvedConfig, "creators" | "plans">): number {
  return config.creators.filter((c) => sleepsNow(c, config.plans)).length;
}

/** The plans active creators sleep on, each with its `sleepAfter` in minutes. */
export function sleepingPlans(config: Pick<ResolvedConfig, "creators" | "plans">): SleepingPlans {
  const plans: Record<string, number> = {};
  for (const creator of config.creators.filter((c) => sleepsNow(c, config.plans))) {
    plans[creator.plan] = durationMinutes(config.plans[creator.plan]!.sleepAfter!);
  }
  return plans;
}

/**
 * Grafana in the monitoring chart (monitoring.grafana.enabled): one pod of Grafana and its
 * dashboard and datasource sidecars, which share `sidecar.resources`.
 */
export const GRAFANA = {
  grafana: { cpuMillis: 20, memoryMiB: 128, memoryLimitMiB: 256 },
  sidecar: { cpuMillis: 10, memoryMiB: 48, memoryLimitMiB: 128 },
  sidecars: 2,
  requests: { cpuMillis: 20 + 2 * 10, memoryMiB: 128 + 2 * 48, pods: 1 },
} as const;

/**
 * The `grafana` values of kube-prometheus-stack 79.5.0: its own keys (defaultDashboardsEnabled)
 * and the grafana 10.1.4 subchart's (the rest). Each is a rule in test/platform/upstream-rules.test.ts.
 */
function grafanaValues(enabled: boolean): Record<string, unknown> {
  if (!enabled) return { enabled: false };
  const { grafana, sidecar } = GRAFANA;
  return {
    enabled: true,
    // kube-prometheus-stack's own dashboards (templates/grafana/dashboards-1.14/) stay out: only ours.
    defaultDashboardsEnabled: false,
    resources: resources(grafana.cpuMillis, grafana.memoryMiB, grafana.memoryLimitMiB),
    priorityClassName: priority,
    // No volume: dashboards come from ConfigMaps and the admin user from a Secret, so Grafana's
    // own database (an emptyDir) holds nothing that must survive a restart.
    persistence: { enabled: false },
    admin: { existingSecret: GRAFANA_ADMIN.secret, userKey: GRAFANA_ADMIN.userKey, passwordKey: GRAFANA_ADMIN.passwordKey },
    sidecar: {
      resources: resources(sidecar.cpuMillis, sidecar.memoryMiB, sidecar.memoryLimitMiB),
      // kube-prometheus-stack searches ALL namespaces; the platform's dashboards are in monitoring.
      dashboards: { enabled: true, ...DASHBOARD_SIDECAR, searchNamespace: [PLATFORM_NAMESPACES.monitoring] },
    },
    // With both sidecars limited to their namespace, a Role is enough: no ClusterRole to read every Secret.
    rbac: { namespaced: true },
    // Grafana's own metrics would grow Prometheus for no panel; its test Pod is a Helm hook.
    serviceMonitor: { enabled: false },
    testFramework: { enabled: false },
  };
}

export function platformAddons(cluster: ResolvedConfig["cluster"], config: ResolvedConfig): AddonSpec[] {
  const facts = clusterFacts(cluster);
  const monitoring = config.monitoring.enabled;
  const sites = config.creators.filter((c) => c.state !== "retired").length;
  const addons: AddonSpec[] = [];

  addons.push({
    name: "traefik",
    namespace: facts.ingress.namespace,
    chart: { repo: "https://traefik.github.io/charts", name: "traefik", version: "41.3.0" },
    installed: !facts.ships.has("traefik"),
    requests: { cpuMillis: 100, memoryMiB: 128, pods: 2 },
    ...(facts.ships.has("traefik") ? { estimate: "the provider's Traefik: its requests are not ours to set" } : {}),
    values: {
      // Two replicas behind ONE LoadBalancer Service for the whole cluster.
      deployment: { replicas: 2 },
      podDisruptionBudget: { enabled: true, maxUnavailable: 1 },
      resources: resources(50, 64, 256),
      priorityClassName: priority,
      service: { spec: { type: "LoadBalancer" } },
      ingressClass: { enabled: true, isDefaultClass: true, name: facts.ingress.className },
      // Every creator's Ingress sends its traffic to the shared cache through an ExternalName
      // Service in the creator's namespace (traefik v3.7.9 pkg/provider/kubernetes/ingress/kubernetes.go
      // refuses those unless allowed); its Middleware, which sets the creator's headers, needs the CRD provider.
      providers: { kubernetesIngress: { publishedService: { enabled: true }, allowExternalNameServices: true }, kubernetesCRD: { enabled: true } },
      // Per-host request metrics: router labels carry the Ingress (one per creator). The chart's
      // own ServiceMonitor stays off: its template fails when the monitoring CRDs are not yet in
      // the cluster; the platform's PodMonitor scrapes the `metrics` port instead.
      metrics: { prometheus: { addRoutersLabels: true, serviceMonitor: { enabled: false } } },
    },
  });

  if (config.platform.tls.mode === "letsencrypt") {
    addons.push({
      name: "cert-manager",
      namespace: PLATFORM_NAMESPACES["cert-manager"],
      chart: { repo: "https://charts.jetstack.io", name: "cert-manager", version: "v1.19.1" },
      installed: !facts.ships.has("cert-manager"),
      requests: { cpuMillis: 30, memoryMiB: 96, pods: 3 },
      values: {
        crds: { enabled: true, keep: true },
        global: { priorityClassName: priority },
        resources: resources(10, 48),
        webhook: { resources: resources(10, 16) },
        cainjector: { resources: resources(10, 32) },
        // Metrics on; the platform's PodMonitor scrapes them (the chart's ServiceMonitor would be
        // applied before the monitoring chart's CRDs exist).
        prometheus: { enabled: true, servicemonitor: { enabled: false } },
      },
      // The startup API check is a post-install hook (with its RBAC and ServiceAccount), so Pulumi
      // would drop it, and the first ClusterIssuer could reach the webhook before cainjector
      // gave it its CA ("x509: certificate signed by unknown authority"; Pulumi does not retry
      // that). Without the hook annotations it is an ordinary Job that Pulumi waits for, and the
      // issuers wait for the chart.
      valuesYaml: [
        "startupapicheck:",
        "  jobAnnotations: null",
        "  rbac:",
        "    annotations: null",
        "  serviceAccount:",
        "    annotations: null",
        "",
      ].join("\n"),
    });
  }

  addons.push({
    name: "metrics-server",
    namespace: "kube-system",
    chart: { repo: "https://kubernetes-sigs.github.io/metrics-server/", name: "metrics-server", version: "3.13.0" },
    installed: !facts.ships.has("metrics-server"),
    requests: { cpuMillis: 20, memoryMiB: 48, pods: 1 },
    ...(facts.ships.has("metrics-server") ? { estimate: "the provider's metrics-server" } : {}),
    values: {
      resources: resources(20, 48, 128),
      priorityClassName: "system-cluster-critical",
      // LKE's kubelets serve certificates metrics-server cannot verify (Linode's own HPA guide sets this).
      ...(cluster.provider === "linode" ? { args: ["--kubelet-insecure-tls"] } : {}),
    },
  });

  if (monitoring) {
    const memory = prometheusMemoryMiB(sites);
    const grafana = config.monitoring.grafana.enabled ? GRAFANA.requests : { cpuMillis: 0, memoryMiB: 0, pods: 0 };
    addons.push({
      name: "monitoring",
      namespace: PLATFORM_NAMESPACES.monitoring,
      chart: { repo: "https://prometheus-community.github.io/helm-charts", name: "kube-prometheus-stack", version: "79.5.0" },
      installed: !facts.ships.has("monitoring"),
      // Prometheus + operator + kube-state-metrics + Alertmanager, and Grafana when it is on.
      requests: {
        cpuMillis: 100 + 20 + 10 + 10 + grafana.cpuMillis,
        memoryMiB: memory + 48 + 64 + 32 + grafana.memoryMiB,
        pods: 4 + grafana.pods,
      },
      perNode: { cpuMillis: 10, memoryMiB: 24, pods: 1 },
      values: {
        grafana: grafanaValues(config.monitoring.grafana.enabled),
        prometheusOperator: {
          resources: resources(20, 48),
          priorityClassName: priority,
          // The admission webhooks' certificate Secret is made only by hook Jobs, which Pulumi
          // drops, and the operator mounts that Secret whenever its TLS is on: webhooks and TLS
          // off (the operator serves plain HTTP to Prometheus inside the cluster). Cost: a
          // PrometheusRule is not validated on admission; ours are checked by the tests.
          admissionWebhooks: { enabled: false, patch: { enabled: false } },
          tls: { enabled: false },
        },
        // Managed control planes: nothing of theirs to scrape.
        kubeEtcd: { enabled: false },
        kubeControllerManager: { enabled: false },
        kubeScheduler: { enabled: false },
        kubeProxy: { enabled: false },
        prometheus: {
          prometheusSpec: {
            retention: `${config.monitoring.retentionDays}d`,
            resources: resources(100, memory),
            priorityClassName: priority,
            podMonitorSelectorNilUsesHelmValues: false,
            serviceMonitorSelectorNilUsesHelmValues: false,
            ruleSelectorNilUsesHelmValues: false,
            storageSpec: {
              volumeClaimTemplate: {
                spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: config.monitoring.storage } } },
              },
            },
          },
        },
        alertmanager: { alertmanagerSpec: { resources: resources(10, 32), priorityClassName: priority } },
        "kube-state-metrics": {
          resources: resources(10, 64),
          priorityClassName: priority,
          // Lets alerts and cost queries name the creator.
          // and which Deployments the sleep engine manages (README, Sleeping creators: the awake share).
          metricLabelsAllowlist: ["pods=[creator]", "persistentvolumeclaims=[creator]", "namespaces=[creator]", "deployments=[sablier.enable]"],
        },
        "prometheus-node-exporter": { resources: resources(10, 24) },
      },
    });
  }

  const images = resolveImages(config.images);
  const cache = { min: 2, max: 6, resources: { requests: { cpu: "50m", memory: "96Mi" }, limits: { cpu: "1", memory: "256Mi" } } };
  addons.push({
    name: "shared-cache",
    namespace: PLATFORM_NAMESPACES.cache,
    chart: undefined,
    objects: workloadsLast(sharedCacheObjects({ image: images.cache, replicas: cache, resources: cache.resources, ingress: facts.ingress })),
    installed: true,
    requests: { cpuMillis: 50 * cache.min, memoryMiB: 96 * cache.min, pods: cache.min },
    values: {},
  });
  if (sleepingCreators(config) > 0) {
    const engine = { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "500m", memory: "128Mi" } };
    // The wake scheduler (wake-scheduler.ts), in the ops namespace: a CronJob whose pod runs for
    // seconds every few minutes. Its requests are counted as the add-on's all the time, as if it
    // never stopped: the room must be there whenever a run starts.
    const scheduler = { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "128Mi" } };
    addons.push({
      name: "sleep-engine",
      namespace: PLATFORM_NAMESPACES.sleep,
      chart: undefined,
      objects: workloadsLast([
        ...sleepEngineObjects({ image: images.sleep, resources: engine, storageClassName: config.storage.className }),
        ...wakeSchedulerObjects({ image: images.ghost, sleepingPlans: sleepingPlans(config), resources: scheduler }),
      ]),
      installed: true,
      requests: { cpuMillis: 10 + 10, memoryMiB: 32 + 64, pods: 1 + 1 },
      values: {},
    });
  }

  if (config.storage.type === "local" && cluster.provider === "linode") {
    addons.push({
      name: "local-path-provisioner",
      namespace: "local-path-storage",
      chart: undefined,
      manifest: "https://raw.githubusercontent.com/rancher/local-path-provisioner/v0.0.32/deploy/local-path-storage.yaml",
      manifestCreatesNamespace: true,
      installed: true,
      requests: { cpuMillis: 10, memoryMiB: 32, pods: 1 },
      estimate: "the upstream manifest sets no requests; the figure is its observed footprint",
      values: {},
    });
  }
  return addons;
}
