/**
 * The creators' Grafana dashboard (infra/platform/dashboards/creators.json):
 * it parses, its panel ids are unique and its panels do not overlap, every
 * template variable it uses is defined, and every PromQL expression reads only
 * metrics, labels and functions that exist: each metric is listed below with
 * the upstream file (at the version this project pins) that defines it, and
 * with the scrape that brings it into the platform's Prometheus.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { addonWorkloads } from "../../infra/cost/addon-requests.ts";
import { type CostReport, costReport } from "../../infra/cost/index.ts";
import { type MockEngine, isSecret, mapSecrets } from "../../infra/offline/mocks.ts";
import { GRAFANA, platformAddons } from "../../infra/platform/addons.ts";
import { clusterFacts } from "../../infra/platform/cluster-facts.ts";
import { DASHBOARD_LABEL, GRAFANA_ADMIN, PLATFORM_FACTS, dashboardConfigMap, platformFactsRule } from "../../infra/platform/dashboards.ts";
import { grafanaAdminPassword } from "../../infra/sqld-auth.ts";
import { MONITORING_NAMESPACE, platformPodMonitors, sqldPodMonitor } from "../../infra/platform/monitoring.ts";
import { resolveImages } from "../../infra/images.ts";
import { renderCreator } from "../../infra/render/creator.ts";
import type { IIngress } from "../../infra/render/objects.ts";
import { resolvedConfig } from "../support/config.ts";
import { validateAgainstKubernetesSchema } from "../support/kube-schema.ts";
import { runProgram } from "../support/run-program.ts";

const FILE = join(import.meta.dirname, "../../infra/platform/dashboards/creators.json");

interface Target {
  refId: string;
  expr: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query: string | { query: string };
  definition?: string;
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Variable[] };
}

const dashboard = JSON.parse(readFileSync(FILE, "utf8")) as Dashboard;
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

/* ------------------------------------------------------------------------------------------
 * What the platform's Prometheus holds. Labels: what the exporter writes, plus the target
 * labels its scrape adds (`targetLabels`).
 * ---------------------------------------------------------------------------------------- */

/** Target labels of a PodMonitor's targets (prometheus-operator v0.86.2 pkg/prometheus/promcfg.go: namespace, container, pod, endpoint; job and instance by Prometheus). */
const POD_MONITOR_TARGET = ["job", "instance", "namespace", "pod", "container", "endpoint"];
/** kube-prometheus-stack 79.5.0 templates/exporters/kubelet/servicemonitor.yaml: a ServiceMonitor (honorLabels: the kubelet's own namespace/pod/container win), plus metrics_path (its relabelings). */
const KUBELET_TARGET = ["job", "instance", "node", "service", "endpoint", "metrics_path"];
/** kube-state-metrics 6.4.1 chart templates/servicemonitor.yaml (honorLabels: true): the object's namespace is kept. */
const KSM_TARGET = ["job", "instance", "service", "endpoint"];

interface Source {
  from: string;
  /** false: the platform does not yet create what publishes these metrics (the seam the report names). */
  wired: boolean;
  targetLabels: string[];
  metrics: Record<string, string[]>;
}

const CADVISOR = ["namespace", "pod", "container", "id", "image", "name", "cpu"];
const KSM_POD_CONTAINER = ["namespace", "pod", "uid", "container", "node", "resource", "unit"];
const KSM_POD_STATUS = ["namespace", "pod", "uid", "container"];

const SOURCES: Record<string, Source> = {
  cadvisor: {
    // github.com/google/cadvisor v0.52.1 (k8s.io/kubernetes v1.34.4 go.mod) metrics/prometheus.go, served by the
    // kubelet at /metrics/cadvisor (pkg/kubelet/server/server.go: CpuUsageMetrics, MemoryUsageMetrics…), scraped
    // by kube-prometheus-stack's kubelet ServiceMonitor (kubelet.serviceMonitor.cAdvisor: true).
    from: "google/cadvisor metrics/prometheus.go",
    wired: true,
    targetLabels: KUBELET_TARGET,
    metrics: {
      container_memory_working_set_bytes: CADVISOR,
      container_cpu_usage_seconds_total: CADVISOR,
      container_cpu_cfs_periods_total: CADVISOR,
      container_cpu_cfs_throttled_periods_total: CADVISOR,
    },
  },
  kubelet: {
    // k8s.io/kubernetes v1.34.4 pkg/kubelet/metrics/collectors/volume_stats.go (kubelet /metrics). Only volumes
    // whose plugin reports metrics: CSI, `local`; not hostPath (pkg/volume/hostpath/host_path.go: MetricsNil),
    // which is what local-path-provisioner makes by default.
    from: "kubernetes/kubernetes pkg/kubelet/metrics/collectors/volume_stats.go",
    wired: true,
    targetLabels: KUBELET_TARGET,
    metrics: {
      kubelet_volume_stats_used_bytes: ["namespace", "persistentvolumeclaim"],
      kubelet_volume_stats_capacity_bytes: ["namespace", "persistentvolumeclaim"],
    },
  },
  "kube-state-metrics": {
    // kube-state-metrics v2.17.0 (chart 6.4.1, a dependency of kube-prometheus-stack 79.5.0) internal/store/:
    // pod.go, deployment.go, namespace.go, persistentvolumeclaim.go, horizontalpodautoscaler.go. label_creator:
    // addons.ts metricLabelsAllowlist "namespaces=[creator]".
    from: "kubernetes/kube-state-metrics internal/store/*.go",
    wired: true,
    targetLabels: KSM_TARGET,
    metrics: {
      kube_pod_container_resource_requests: KSM_POD_CONTAINER,
      kube_pod_container_resource_limits: KSM_POD_CONTAINER,
      kube_pod_init_container_resource_requests: KSM_POD_CONTAINER,
      kube_pod_init_container_resource_limits: KSM_POD_CONTAINER,
      kube_pod_init_container_status_ready: KSM_POD_STATUS,
      kube_pod_container_status_restarts_total: KSM_POD_STATUS,
      kube_pod_init_container_status_restarts_total: KSM_POD_STATUS,
      kube_deployment_spec_replicas: ["namespace", "deployment"],
      kube_deployment_status_replicas_available: ["namespace", "deployment"],
      kube_namespace_labels: ["namespace", "label_creator"],
      kube_namespace_status_phase: ["namespace", "phase"],
      kube_persistentvolumeclaim_resource_requests_storage_bytes: ["namespace", "persistentvolumeclaim"],
      kube_horizontalpodautoscaler_status_current_replicas: ["namespace", "horizontalpodautoscaler"],
      kube_horizontalpodautoscaler_spec_max_replicas: ["namespace", "horizontalpodautoscaler"],
    },
  },
  traefik: {
    // traefik v3.7 (chart 41.3.0, appVersion v3.7.11) pkg/observability/metrics/prometheus.go; service labels are
    // on by default (pkg/observability/types/metrics.go). The service label is <namespace>-<service>-<port name>
    // (pkg/provider/kubernetes/ingress/kubernetes.go, provider.Normalize) qualified @kubernetes. Scraped by the
    // platform's PodMonitor `traefik` (monitoring.ts platformPodMonitors), where the platform installs Traefik.
    from: "traefik/traefik pkg/observability/metrics/prometheus.go",
    wired: true,
    targetLabels: POD_MONITOR_TARGET,
    metrics: {
      traefik_service_requests_total: ["code", "method", "protocol", "service"],
      traefik_service_request_duration_seconds_bucket: ["code", "method", "protocol", "service", "le"],
    },
  },
  sqld: {
    // libsql-server v0.24.33 (infra/images.ts) libsql-server/src/stats.rs set_storage_bytes_used: the gauge
    // libsql_server_storage{namespace="default"}, refreshed every 60 s by run_storage_monitor
    // (src/namespace/configurator/helpers.rs), so never dropped by the exporter's 120 s idle timeout
    // (src/http/admin/mod.rs). Its `namespace` clashes with the target's and is kept as exported_namespace.
    // Scraped by the PodMonitor creator-sqld (monitoring.ts sqldPodMonitor), which adds `creator`.
    from: "tursodatabase/libsql libsql-server/src/stats.rs",
    wired: true,
    targetLabels: [...POD_MONITOR_TARGET, "creator"],
    metrics: { libsql_server_storage: ["exported_namespace"] },
  },
  prometheus: {
    // Prometheus itself: `up` for every target (prometheus/prometheus scrape/scrape.go), with the target's labels.
    from: "prometheus/prometheus scrape/scrape.go",
    wired: true,
    targetLabels: [...POD_MONITOR_TARGET, "creator"],
    metrics: { up: [] },
  },
  facts: {
    // This project: infra/platform/dashboards.ts platformFactsRule(), recording rules of the stack's cost report,
    // registered by PlatformAddons with the dashboard wherever Grafana is on ("the dashboard under the program").
    from: "infra/platform/dashboards.ts platformFactsRule",
    wired: true,
    targetLabels: [],
    metrics: {
      [PLATFORM_FACTS.creators]: ["state"],
      [PLATFORM_FACTS.monthlyTotalUsd]: [],
      [PLATFORM_FACTS.perCreatorUsd]: [],
      [PLATFORM_FACTS.creatorUsd]: ["creator", "namespace", "plan", "state"],
    },
  },
};

const METRICS = new Map(
  Object.entries(SOURCES).flatMap(([source, s]) => Object.entries(s.metrics).map(([metric, labels]) => [metric, { source, labels: [...labels, ...s.targetLabels] }])),
);

const FUNCTIONS = new Set(["sum", "max", "min", "count", "avg", "topk", "rate", "increase", "histogram_quantile", "label_replace", "vector"]);
const KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset"]);
const GRAFANA_BUILTINS = new Set(["__rate_interval", "__interval", "__interval_ms", "__range", "__range_s", "__range_ms", "__from", "__to", "__dashboard"]);

interface Parsed {
  selectors: Array<{ metric: string; labels: string[] }>;
  functions: string[];
  grouping: string[];
  /** Labels that label_replace writes. */
  written: string[];
  variables: string[];
}

/** Enough of PromQL for the dashboard's expressions: selectors, functions, grouping labels and Grafana variables. */
function parse(expr: string): Parsed {
  const variables = [...expr.matchAll(/\$(\w+)|\$\{(\w+)(?:[:.][^}]*)?\}/g)]
    .map((m) => m[1] ?? m[2] ?? "")
    .filter((v) => !/^\d+$/.test(v)); // $1: label_replace's back-reference
  const written = [...expr.matchAll(/label_replace\(.*?,\s*"(\w+)"/g)].map((m) => m[1] ?? "");
  let rest = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const selectors: Parsed["selectors"] = [];
  rest = rest.replace(/([a-zA-Z_:][\w:]*)?\s*\{([^}]*)\}/g, (_, metric: string | undefined, matchers: string) => {
    selectors.push({ metric: metric ?? "", labels: [...matchers.matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1] ?? "") });
    return " ";
  });
  rest = rest.replace(/\[[^\]]*\]/g, " ");
  const grouping: string[] = [];
  rest = rest.replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_, labels: string) => {
    grouping.push(...labels.split(",").map((l) => l.trim()).filter(Boolean));
    return " ";
  });
  rest = rest.replace(/(?<![\w:])\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi, " ");
  const functions: string[] = [];
  for (const m of rest.matchAll(/([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, name = "", call] = m;
    if (call) functions.push(name);
    else if (!KEYWORDS.has(name)) selectors.push({ metric: name, labels: [] });
  }
  return { selectors, functions, grouping, written, variables };
}

const variableQuery = (v: Variable): string => v.definition ?? (typeof v.query === "string" ? v.query : v.query.query);

describe("the PromQL reader of this test", () => {
  it("finds selectors with their matchers, bare metrics, functions, grouping labels and variables", () => {
    const parsed = parse(
      'topk(10, sum by (namespace) (label_replace(rate(a_total{service=~"x-(y|z)@k", code!="5.."}[$__rate_interval]), "namespace", "$1", "service", "(.+)"))) / on (namespace) group_left b:c:d unless count(e{f="1"} == 0) * 1.5e3',
    );
    expect(parsed.selectors).toEqual([
      { metric: "a_total", labels: ["service", "code"] },
      { metric: "e", labels: ["f"] },
      { metric: "b:c:d", labels: [] },
    ]);
    expect(parsed.functions).toEqual(["topk", "sum", "label_replace", "rate", "count"]);
    expect(parsed.grouping).toEqual(["namespace", "namespace"]);
    expect(parsed.written).toEqual(["namespace"]);
    expect(parsed.variables).toEqual(["__rate_interval"]);
    expect(parse('x{namespace="$namespace"} + y{a="${namespace}"}').variables).toEqual(["namespace", "namespace"]);
  });
});

describe("the creators dashboard", () => {
  it("is a dashboard the sidecar can load: a uid, a title, panels, every query on the datasource variable", () => {
    expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/);
    expect(dashboard.title).toBeTruthy();
    expect(queries.length).toBeGreaterThan(20);
    for (const p of panels.filter((p) => p.type !== "row")) {
      expect(p.datasource, p.title).toEqual({ type: "prometheus", uid: "${datasource}" });
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      const refIds = (p.targets ?? []).map((t) => t.refId);
      expect(new Set(refIds).size, p.title).toBe(refIds.length);
    }
  });

  it("has no duplicate panel ids, and no two panels overlap", () => {
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Map<string, string>();
    for (const p of panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w, p.title).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          const taken = cells.get(`${i},${j}`);
          expect(taken, `${p.title} overlaps ${taken}`).toBeUndefined();
          cells.set(`${i},${j}`, p.title);
        }
      }
    }
  });

  it("uses only template variables it defines (or Grafana's own), and its variables resolve", () => {
    const defined = new Set(dashboard.templating.list.map((v) => v.name));
    expect([...defined].sort()).toEqual(["datasource", "namespace"]);
    for (const q of queries) {
      for (const v of parse(q.expr).variables) expect(defined.has(v) || GRAFANA_BUILTINS.has(v), `${q.panel}: $${v}`).toBe(true);
    }
    // The datasource variable picks Prometheus datasources; the creator variable lists creator namespaces
    // from a metric that has them, by a label that metric carries.
    const [datasource, namespace] = dashboard.templating.list;
    expect(datasource).toMatchObject({ type: "datasource", query: "prometheus" });
    const query = variableQuery(namespace as Variable);
    const m = /^label_values\((\w+)\{(.*)\},\s*(\w+)\)$/.exec(query);
    expect(m, query).not.toBeNull();
    const [, metric = "", matchers = "", label = ""] = m ?? [];
    expect(METRICS.get(metric)?.labels).toContain(label);
    expect(matchers).toContain('namespace=~"creator-.+"');
    expect(variableQuery(namespace as Variable)).toBe((namespace as Variable & { query: { query: string } }).query.query);
    // Every per-creator panel is scoped to the chosen namespace.
    expect(queries.filter((q) => q.expr.includes("$namespace")).length).toBeGreaterThan(15);
  });

  it("queries only metrics something in the platform exposes, with labels they carry, through PromQL functions that exist", () => {
    const used = new Set<string>();
    for (const q of queries) {
      const parsed = parse(q.expr);
      expect(parsed.selectors.length, q.expr).toBeGreaterThan(0);
      const labels = new Set(parsed.written);
      for (const s of parsed.selectors) {
        const known = METRICS.get(s.metric);
        expect(known, `${q.panel}: ${s.metric} is not exposed by any source`).toBeDefined();
        for (const l of s.labels) expect(known?.labels, `${q.panel}: ${s.metric} has no label ${l}`).toContain(l);
        for (const l of known?.labels ?? []) labels.add(l);
        used.add(s.metric);
      }
      for (const f of parsed.functions) expect(FUNCTIONS.has(f), `${q.panel}: ${f}()`).toBe(true);
      for (const l of parsed.grouping) expect(labels.has(l), `${q.panel}: grouping by ${l}`).toBe(true);
    }
    // The creator variable's query is PromQL too: label_values(<selector>, <label>).
    for (const v of dashboard.templating.list.filter((v) => v.type === "query")) {
      const selector = /^label_values\((.*),\s*\w+\)$/.exec(variableQuery(v))?.[1] ?? "";
      for (const s of parse(selector).selectors) {
        for (const l of s.labels) expect(METRICS.get(s.metric)?.labels, `$${v.name}: ${s.metric} has no label ${l}`).toContain(l);
        used.add(s.metric);
      }
    }
    // Every listed metric is used: the list stays the dashboard's, not a catalogue.
    expect([...METRICS.keys()].filter((m) => !used.has(m))).toEqual([]);
  });

  it("reads the stack's own figures only from platformFactsRule()'s series, and every source is wired", () => {
    expect(Object.entries(SOURCES).filter(([, s]) => !s.wired).map(([name]) => name)).toEqual([]);
    const facts = new Set(Object.keys(SOURCES.facts?.metrics ?? {}));
    const panels = [...new Set(queries.filter((q) => parse(q.expr).selectors.some((s) => facts.has(s.metric))).map((q) => q.panel))];
    expect(panels.sort()).toEqual(["Cost per creator", "Creators by state (stack file)", "Monthly cost"]);
  });
});

describe("what the dashboard's queries assume of the platform", () => {
  const lke = { provider: "linode", region: "us-east", kubernetesVersion: "1.33", nodePools: [{ name: "main", type: "g6-standard-4" }] };
  const config = resolvedConfig({ cluster: lke, storage: { type: "local" } });
  const monitoring = platformAddons(config.cluster, config).find((a) => a.name === "monitoring");
  const traefik = platformAddons(config.cluster, config).find((a) => a.name === "traefik");

  it("sqld's series carry job <monitoring namespace>/creator-sqld and the creator id", () => {
    const monitor = sqldPodMonitor();
    const job = `${MONITORING_NAMESPACE}/${monitor.metadata.name}`;
    const sqldQueries = queries.filter((q) => /\b(libsql_server_storage|up)\{/.test(q.expr));
    expect(sqldQueries.length).toBeGreaterThan(0);
    for (const q of sqldQueries) expect(q.expr, q.panel).toContain(`job="${job}"`);
    expect(monitor.spec.podMetricsEndpoints[0]?.relabelings).toContainEqual({ sourceLabels: ["__meta_kubernetes_pod_label_creator"], targetLabel: "creator" });
  });

  it("Traefik's service label, as the dashboard matches it, is the creator's Ingress backend and no other creator's", () => {
    expect(platformPodMonitors({ traefikNamespace: "traefik" }).map((m) => m.metadata.name)).toEqual(["traefik"]);
    // Service labels are Traefik's default; the platform never turns them off.
    const prometheus = (traefik?.values.metrics as { prometheus: Record<string, unknown> }).prometheus;
    expect(prometheus.addServicesLabels).toBeUndefined();
    const pattern = /service=~"(\$namespace-[^"]+)"/.exec(queries.find((q) => q.expr.includes("traefik_service_requests_total{service=~\"$namespace"))?.expr ?? "")?.[1];
    expect(pattern).toBeDefined();
    const matches = (namespace: string, label: string) => new RegExp(`^(?:${(pattern ?? "").replace("$namespace", namespace)})$`).test(label);
    for (const id of ["alice", "bob"]) {
      const creator = config.creators.find((c) => c.id === id);
      const plan = creator && config.plans[creator.plan];
      if (!creator || !plan) throw new Error(`no creator ${id}`);
      const rendered = renderCreator({
        creator, plan, platform: config.platform, ingress: clusterFacts(config.cluster).ingress, storage: config.storage, images: resolveImages({}), monitoring: true,
      });
      const ingress = rendered.objects.find((o) => o.kind === "Ingress") as IIngress;
      const backend = ingress.spec?.rules?.[0]?.http?.paths[0]?.backend.service;
      // pkg/provider/kubernetes/ingress/kubernetes.go: Normalize(namespace + "-" + service + "-" + portString(port)).
      const label = `${rendered.namespace}-${backend?.name}-${backend?.port?.name ?? backend?.port?.number}@kubernetes`;
      expect(matches(rendered.namespace, label), label).toBe(true);
      expect(matches("creator-someone-else", label)).toBe(false);
    }
  });

  it("kube-state-metrics labels namespaces with the creator, and the cAdvisor metrics used survive the chart's drop rules", () => {
    const ksm = monitoring?.values["kube-state-metrics"] as { metricLabelsAllowlist: string[] };
    expect(ksm.metricLabelsAllowlist).toContain("namespaces=[creator]");
    // kube-prometheus-stack 79.5.0 values.yaml kubelet.serviceMonitor.cAdvisorMetricRelabelings (the `drop` rules on __name__).
    const dropped = [
      /^container_cpu_(cfs_throttled_seconds_total|load_average_10s|system_seconds_total|user_seconds_total)$/,
      /^container_fs_(io_current|io_time_seconds_total|io_time_weighted_seconds_total|reads_merged_total|sector_reads_total|sector_writes_total|writes_merged_total)$/,
      /^container_memory_(mapped_file|swap)$/,
      /^container_(file_descriptors|tasks_state|threads_max)$/,
      /^container_spec.*$/,
    ];
    for (const metric of Object.keys(SOURCES.cadvisor?.metrics ?? {})) {
      expect(dropped.some((d) => d.test(metric)), metric).toBe(false);
    }
  });
});

describe("dashboardConfigMap", () => {
  const configMap = dashboardConfigMap();

  it("is labelled for kube-prometheus-stack's dashboard sidecar, in the monitoring namespace", () => {
    expect(configMap.metadata.namespace).toBe(MONITORING_NAMESPACE);
    expect(configMap.metadata.labels).toMatchObject({ grafana_dashboard: "1" });
    expect(DASHBOARD_LABEL).toEqual({ grafana_dashboard: "1" });
  });

  it("carries the dashboard file as it is, one key per dashboard, well under a ConfigMap's 1 MiB", () => {
    expect(Object.keys(configMap.data)).toEqual(["creators.json"]);
    const text = configMap.data["creators.json"] ?? "";
    expect(JSON.parse(text)).toEqual(dashboard);
    expect(Buffer.byteLength(text)).toBeLessThan(256 * 1024);
  });
});

describe("platformFactsRule", () => {
  const lke = { provider: "linode", region: "us-east", kubernetesVersion: "1.33", nodePools: [{ name: "main", type: "g6-standard-4" }] };
  const config = resolvedConfig({
    cluster: lke,
    storage: { type: "local" },
    creators: [
      { id: "alice", plan: "starter" },
      { id: "bob", plan: "standard" },
      { id: "carol", plan: "pro", state: "suspended" },
      { id: "dave", plan: "starter", state: "retired" },
    ],
  });
  const cost = costReport(config);
  const rule = platformFactsRule({ creators: config.creators, cost });
  const rules = rule.spec.groups.flatMap((g) => g.rules);
  const value = (expr: string) => Number(/^vector\((-?[\d.e+-]+)\)$/.exec(expr)?.[1]);

  it("is a PrometheusRule in the monitoring namespace, which the stack's Prometheus selects", () => {
    expect(rule).toMatchObject({ apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule", metadata: { namespace: MONITORING_NAMESPACE } });
    // addons.ts: ruleSelectorNilUsesHelmValues false, so every PrometheusRule is loaded.
    const monitoring = platformAddons(config.cluster, config).find((a) => a.name === "monitoring");
    expect((monitoring?.values.prometheus as { prometheusSpec: Record<string, unknown> }).prometheusSpec.ruleSelectorNilUsesHelmValues).toBe(false);
  });

  it("records the creators by state and the stack's cost as constants from its cost report", () => {
    const states = rules.filter((r) => r.record === PLATFORM_FACTS.creators);
    expect(Object.fromEntries(states.map((r) => [r.labels?.state, value(r.expr)]))).toEqual({ active: 2, suspended: 1, retired: 1 });
    expect(value(rules.find((r) => r.record === PLATFORM_FACTS.perCreatorUsd)?.expr ?? "")).toBe(cost.perCreatorUsd);
    expect(value(rules.find((r) => r.record === PLATFORM_FACTS.monthlyTotalUsd)?.expr ?? "")).toBe(cost.monthlyTotalUsd);
    expect(cost.perCreatorUsd).toBeGreaterThan(0);
  });

  it("records each creator with a site at its plan's cost per creator, labelled as the dashboard selects it", () => {
    const perCreator = rules.filter((r) => r.record === PLATFORM_FACTS.creatorUsd);
    expect(perCreator.map((r) => r.labels)).toEqual([
      { creator: "alice", namespace: "creator-alice", plan: "starter", state: "active" },
      { creator: "bob", namespace: "creator-bob", plan: "standard", state: "active" },
      { creator: "carol", namespace: "creator-carol", plan: "pro", state: "suspended" },
    ]);
    for (const r of perCreator) expect(value(r.expr)).toBe(cost.perPlan[r.labels?.plan ?? ""]?.perCreatorUsd);
    for (const r of rules) expect(Number.isFinite(value(r.expr)), r.expr).toBe(true);
  });
});

describe("the dashboard under the program (monitoring.grafana)", async () => {
  const lke = { provider: "linode", region: "us-east", kubernetesVersion: "1.33", nodePools: [{ name: "main", type: "g6-standard-4" }] };
  const stack = (enabled: boolean) => resolvedConfig({ cluster: lke, storage: { type: "local" }, monitoring: { grafana: { enabled } } });
  const on = await runProgram(stack(true), "use1", { nodeCounts: { main: 3 } });
  const off = await runProgram(stack(false), "use1", { nodeCounts: { main: 3 } });

  const named = (engine: MockEngine, kind: string, name: string) =>
    engine.registrations.filter((r) => r.custom && r.inputs.kind === kind && (r.inputs.metadata as { name: string }).name === name);
  const configMaps = (engine: MockEngine) =>
    engine.byType("kubernetes:core/v1:ConfigMap").filter((r) => (r.inputs.metadata as { name: string }).name === dashboardConfigMap().metadata.name);
  const adminSecrets = (engine: MockEngine) =>
    engine.byType("kubernetes:core/v1:Secret").filter((r) => (r.inputs.metadata as { name: string }).name === GRAFANA_ADMIN.secret);
  const grafanaValues = (engine: MockEngine) =>
    (engine.byType("kubernetes:helm.sh/v4:Chart").find((r) => r.inputs.chart === "kube-prometheus-stack")?.inputs.values as { grafana: Record<string, unknown> }).grafana;

  it("is off by default, and needs the monitoring stack", () => {
    expect(resolvedConfig().monitoring.grafana).toEqual({ enabled: false });
    expect(() => resolvedConfig({ monitoring: { enabled: false, grafana: { enabled: true } } })).toThrow(/monitoring\.grafana\.enabled: needs monitoring\.enabled/);
  });

  it("on: registers the dashboard ConfigMap, the platform-facts rule of the stack's cost report and Grafana's admin Secret", () => {
    const [configMap] = configMaps(on.engine);
    expect(configMaps(on.engine)).toHaveLength(1);
    expect(configMap?.inputs).toMatchObject({ metadata: { namespace: MONITORING_NAMESPACE, labels: DASHBOARD_LABEL }, data: dashboardConfigMap().data });
    const rules = named(on.engine, "PrometheusRule", "creator-platform-facts");
    expect(rules).toHaveLength(1);
    const cost = on.outputs.cost as CostReport;
    expect(rules[0]?.inputs).toMatchObject(platformFactsRule({ creators: stack(true).creators, cost }));
    const secrets = adminSecrets(on.engine);
    expect(secrets).toHaveLength(1);
    const secret = secrets[0]?.inputs ?? {};
    const data = secret.stringData as Record<string, unknown>;
    expect(isSecret(data) || isSecret(data[GRAFANA_ADMIN.passwordKey])).toBe(true);
    const seed = stack(true).sqldKeySeed ?? "";
    expect(mapSecrets(secret, (v) => v)).toMatchObject({
      metadata: { namespace: MONITORING_NAMESPACE },
      stringData: { [GRAFANA_ADMIN.userKey]: GRAFANA_ADMIN.user, [GRAFANA_ADMIN.passwordKey]: grafanaAdminPassword(seed) },
    });
    expect(grafanaAdminPassword(seed)).not.toBe(grafanaAdminPassword(`${seed}-other`));
    for (const r of [configMap, rules[0], secrets[0]]) {
      expect(() => validateAgainstKubernetesSchema(mapSecrets(r?.inputs, (v) => v) as object), r?.name).not.toThrow();
    }
  });

  it("on: the chart's Grafana loads the ConfigMap, names the Secret and is sized", () => {
    const values = grafanaValues(on.engine);
    expect(values).toMatchObject({
      enabled: true,
      defaultDashboardsEnabled: false,
      sidecar: { dashboards: { enabled: true, label: "grafana_dashboard", labelValue: "1", searchNamespace: [MONITORING_NAMESPACE] } },
      admin: { existingSecret: GRAFANA_ADMIN.secret, userKey: GRAFANA_ADMIN.userKey, passwordKey: GRAFANA_ADMIN.passwordKey },
      persistence: { enabled: false },
      resources: { requests: { cpu: "20m", memory: "128Mi" }, limits: { memory: "256Mi" } },
    });
  });

  it("off: none of them, and Grafana off in the chart", () => {
    expect(configMaps(off.engine)).toEqual([]);
    expect(named(off.engine, "PrometheusRule", "creator-platform-facts")).toEqual([]);
    expect(adminSecrets(off.engine)).toEqual([]);
    expect(grafanaValues(off.engine)).toEqual({ enabled: false });
    // The alerts are there either way.
    expect(named(off.engine, "PrometheusRule", "creator-platform")).toHaveLength(1);
  });

  it("the cost report's add-on requests differ by exactly Grafana's", () => {
    const monitoring = (enabled: boolean) => addonWorkloads(stack(enabled)).find((w) => w.name === "monitoring");
    const [withGrafana, without] = [monitoring(true), monitoring(false)];
    expect({
      cpuMillis: (withGrafana?.cpuMillis ?? 0) - (without?.cpuMillis ?? 0),
      memoryMiB: (withGrafana?.memoryMiB ?? 0) - (without?.memoryMiB ?? 0),
      pods: (withGrafana?.pods ?? 0) - (without?.pods ?? 0),
    }).toEqual(GRAFANA.requests);
    // Grafana's container and its two sidecars, as the chart values set them.
    expect(GRAFANA.requests).toEqual({
      cpuMillis: GRAFANA.grafana.cpuMillis + GRAFANA.sidecars * GRAFANA.sidecar.cpuMillis,
      memoryMiB: GRAFANA.grafana.memoryMiB + GRAFANA.sidecars * GRAFANA.sidecar.memoryMiB,
      pods: 1,
    });
    // Every other add-on is the same, and the packed nodes hold exactly that much more.
    const others = (enabled: boolean) => addonWorkloads(stack(enabled)).filter((w) => w.name !== "monitoring");
    expect(others(true)).toEqual(others(false));
    const requested = (cost: CostReport) =>
      cost.nodes.reduce((sum, n) => ({ cpuMillis: sum.cpuMillis + n.requested.cpuMillis, memoryMiB: sum.memoryMiB + n.requested.memoryMiB, pods: sum.pods + n.requested.pods }), { cpuMillis: 0, memoryMiB: 0, pods: 0 });
    const [a, b] = [requested(on.outputs.cost as CostReport), requested(off.outputs.cost as CostReport)];
    expect({ cpuMillis: a.cpuMillis - b.cpuMillis, memoryMiB: a.memoryMiB - b.memoryMiB, pods: a.pods - b.pods }).toEqual(GRAFANA.requests);
  });
});
