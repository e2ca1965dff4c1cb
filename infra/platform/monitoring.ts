/**
 * What the platform watches on every creator: the sqld metrics it scrapes and
 * the alerts an operator is woken for. Plain objects for the Prometheus
 * operator's CRDs (monitoring.coreos.com/v1).
 */
export const MONITORING_NAMESPACE = "monitoring";
/** sqld's admin listener, which serves Prometheus metrics at /metrics. */
export const SQLD_METRICS_PORT = 9090;

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
          relabelings: [{ sourceLabels: ["__meta_kubernetes_pod_label_creator"], targetLabel: "creator" }],
        },
      ],
    },
  };
}
