/**
 * The operators' Grafana dashboard of the creators (dashboards/creators.json),
 * as the ConfigMap that kube-prometheus-stack's Grafana loads, and the
 * PrometheusRule of platform facts that its state and cost panels read.
 *
 * Nothing here is registered yet: the monitoring stack runs without Grafana
 * (addons.ts sets `grafana.enabled: false`), so PlatformAddons creates neither
 * object. With Grafana on, kube-prometheus-stack 79.5.0 (values.yaml,
 * `grafana.sidecar.dashboards`: label `grafana_dashboard`, labelValue "1",
 * searchNamespace ALL) runs the grafana chart's dashboard sidecar, which loads
 * every ConfigMap so labelled; its datasource sidecar names the Prometheus
 * datasource uid `prometheus`, the default of the dashboard's `datasource`
 * variable.
 *
 * Everything the dashboard queries is scraped today (cAdvisor, the kubelet,
 * kube-state-metrics, Traefik, sqld), except the stack's own figures (creators
 * by declared state, cost per creator), which no exporter knows. They come from
 * platformFactsRule(): recording rules whose expressions are constants taken
 * from the stack's cost report, so Prometheus itself publishes them and no
 * exporter is needed. The rule changes only when the creators or the prices do.
 */
import type { CostReport } from "../cost/report.ts";
import { namespaceOf } from "../render/labels.ts";
import creators from "./dashboards/creators.json" with { type: "json" };
import { MONITORING_NAMESPACE } from "./monitoring.ts";

/** The dashboard sidecar's label (kube-prometheus-stack 79.5.0 values.yaml grafana.sidecar.dashboards.label / labelValue). */
export const DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;

/** The dashboards, by file name in the ConfigMap (the sidecar writes each key as a file). */
export const DASHBOARDS = { "creators.json": creators } as const;

export function dashboardConfigMap() {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: "creator-platform-dashboards",
      namespace: MONITORING_NAMESPACE,
      labels: { ...DASHBOARD_LABEL, "app.kubernetes.io/part-of": "creator-platform" },
    },
    data: Object.fromEntries(Object.entries(DASHBOARDS).map(([file, dashboard]) => [file, JSON.stringify(dashboard)])),
  };
}

/** The series platformFactsRule() records (`level:metric:operation`, Prometheus' naming for recording rules). */
export const PLATFORM_FACTS = {
  /** Creators in the stack file, labelled `state` (active, suspended, retired). */
  creators: "creator_platform:creators:count",
  /** The stack's monthly bill (the cost report's monthlyTotalUsd). */
  monthlyTotalUsd: "creator_platform:monthly_cost_usd:total",
  /** The bill per creator with a site (perCreatorUsd). */
  perCreatorUsd: "creator_platform:monthly_cost_usd:per_creator",
  /** One series per creator with a site, labelled creator, namespace, plan and state: its plan's cost per creator. */
  creatorUsd: "creator_platform:creator_monthly_cost_usd",
} as const;

export interface PlatformFacts {
  creators: ReadonlyArray<{ id: string; plan: string; state: "active" | "suspended" | "retired" }>;
  cost: Pick<CostReport, "creatorStates" | "monthlyTotalUsd" | "perCreatorUsd" | "perPlan">;
}

const STATES = ["active", "suspended", "retired"] as const;

/** A constant as PromQL: `vector(x)` is one series without labels, to which the rule adds its own. */
const constant = (value: number): string => `vector(${Number.isFinite(value) ? value : 0})`;

/** The stack's figures as recording rules (Prometheus operator CRD monitoring.coreos.com/v1), for the dashboard's platform panels. */
export function platformFactsRule(facts: PlatformFacts) {
  const { cost } = facts;
  const rules = [
    ...STATES.map((state) => ({ record: PLATFORM_FACTS.creators, expr: constant(cost.creatorStates[state]), labels: { state } })),
    { record: PLATFORM_FACTS.monthlyTotalUsd, expr: constant(cost.monthlyTotalUsd) },
    { record: PLATFORM_FACTS.perCreatorUsd, expr: constant(cost.perCreatorUsd) },
    ...facts.creators
      .filter((c) => c.state !== "retired")
      .map((c) => ({
        record: PLATFORM_FACTS.creatorUsd,
        expr: constant(cost.perPlan[c.plan]?.perCreatorUsd ?? 0),
        labels: { creator: c.id, namespace: namespaceOf(c.id), plan: c.plan, state: c.state },
      })),
  ];
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: "creator-platform-facts", namespace: MONITORING_NAMESPACE },
    spec: { groups: [{ name: "creator-platform-facts", rules }] },
  };
}
