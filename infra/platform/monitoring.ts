/**
 * What the platform watches on every creator: the sqld metrics it scrapes and
 * the alerts an operator is woken for. Plain objects for the Prometheus
 * operator's CRDs (monitoring.coreos.com/v1).
 */
import { PLATFORM_NAMESPACES } from "../contract/namespaces.ts";
import { SQLD_ADMIN_KEY, SQLD_ADMIN_SECRET } from "../contract/sqld.ts";

export const MONITORING_NAMESPACE = PLATFORM_NAMESPACES.monitoring;

const creatorNamespaces = 'namespace=~"creator-.*"';

export const ALERT_RULES = [
  {
    alert: "CreatorContainerOOMKilled",
    expr: `(kube_pod_container_status_last_terminated_reason{${creatorNamespaces},reason="OOMKilled"} == 1) and on (namespace, pod, container) (increase(kube_pod_container_status_restarts_total{${creatorNamespaces}}[15m]) > 0)`,
    for: "0m",
    labels: { severity: "warning" },
    annotations: { summary: "{{ $labels.namespace }}/{{ $labels.container }} was OOM-killed: its plan's memory limit is too small for it." },
  },
  {
    alert: "CreatorRestartLoop",
    expr: `increase(kube_pod_container_status_restarts_total{${creatorNamespaces}}[15m]) >= 3`,
    for: "5m",
    labels: { severity: "critical" },
    annotations: { summary: "{{ $labels.namespace }}/{{ $labels.container }} restarted {{ $value }} times in 15 minutes." },
  },
  {
    alert: "CreatorSqldDown",
    expr: `up{job="${MONITORING_NAMESPACE}/creator-sqld"} == 0 or kube_pod_init_container_status_ready{${creatorNamespaces},container="sqld"} == 0`,
    for: "5m",
    labels: { severity: "critical" },
    annotations: { summary: "sqld of {{ $labels.namespace }} is not answering: its Ghost cannot read or write." },
  },
  {
    alert: "CreatorVolumeNearlyFull",
    expr: `kubelet_volume_stats_available_bytes{${creatorNamespaces}} / kubelet_volume_stats_capacity_bytes{${creatorNamespaces}} < 0.10`,
    for: "15m",
    labels: { severity: "warning" },
    annotations: { summary: "The volume of {{ $labels.namespace }} is over 90 % full." },
  },
  {
    alert: "CertificateNearExpiry",
    expr: "certmanager_certificate_expiration_timestamp_seconds - time() < 14 * 24 * 3600",
    for: "1h",
    labels: { severity: "warning" },
    annotations: {
      summary: "Certificate {{ $labels.namespace }}/{{ $labels.name }} expires within 14 days: cert-manager renews at 30, so renewal is failing.",
    },
  },
] as const;

export function alertRules() {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: "creator-platform", namespace: MONITORING_NAMESPACE },
    spec: { groups: [{ name: "creator-platform", rules: ALERT_RULES }] },
  };
}

/**
 * Scrapes of the platform's own components, which their charts would render as
 * ServiceMonitors only if the monitoring CRDs already existed (addons.ts). Port
 * names from the charts at their pinned versions: Traefik 41.3.0 names the
 * container port after its `ports.metrics` entry (templates/_podtemplate.tpl);
 * cert-manager v1.19.1's controller serves `http-metrics` on 9402
 * (deploy/charts/cert-manager/templates/deployment.yaml).
 */
export function platformPodMonitors(scrape: { traefikNamespace?: string | undefined; certManagerNamespace?: string | undefined }) {
  const monitor = (name: string, namespace: string, matchLabels: Record<string, string>, port: string) => ({
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PodMonitor",
    metadata: { name, namespace: MONITORING_NAMESPACE },
    spec: {
      namespaceSelector: { matchNames: [namespace] },
      selector: { matchLabels },
      podMetricsEndpoints: [{ port, path: "/metrics", interval: "60s" }],
    },
  });
  return [
    ...(scrape.traefikNamespace ? [monitor("traefik", scrape.traefikNamespace, { "app.kubernetes.io/name": "traefik" }, "metrics")] : []),
    ...(scrape.certManagerNamespace
      ? [monitor("cert-manager", scrape.certManagerNamespace, { "app.kubernetes.io/name": "cert-manager", "app.kubernetes.io/component": "controller" }, "http-metrics")]
      : []),
  ];
}

/** Scrapes every creator's sqld, labelling its series with the creator id. */
export function sqldPodMonitor() {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PodMonitor",
    metadata: { name: "creator-sqld", namespace: MONITORING_NAMESPACE },
    spec: {
      namespaceSelector: { any: true },
      selector: { matchLabels: { "app.kubernetes.io/part-of": "creator-platform", "app.kubernetes.io/component": "ghost" } },
      podMetricsEndpoints: [
        {
          port: "metrics",
          path: "/metrics",
          interval: "60s",
          // sqld's admin listener wants `Authorization: Basic <admin key>` (infra/sqld-auth.ts).
          authorization: { type: "Basic", credentials: { name: SQLD_ADMIN_SECRET, key: SQLD_ADMIN_KEY } },
          relabelings: [{ sourceLabels: ["__meta_kubernetes_pod_label_creator"], targetLabel: "creator" }],
        },
      ],
    },
  };
}
