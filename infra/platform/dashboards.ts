/**
 * The operators' Grafana dashboard of the creators (dashboards/creators.json),
 * as the ConfigMap that kube-prometheus-stack's Grafana loads, the
 * PrometheusRule of platform facts that its state and cost panels read, and
 * the Secret of Grafana's admin user.
 *
 * Grafana is optional (`monitoring.grafana.enabled`, off by default; what it
 * costs: addons.ts GRAFANA). With it on, PlatformAddons registers the three
 * objects, and the monitoring chart runs the grafana chart's dashboard sidecar
 * (grafana 10.1.4 values.yaml `sidecar.dashboards`), limited to the monitoring
 * namespace, which loads every ConfigMap labelled DASHBOARD_LABEL; its
 * datasource sidecar loads kube-prometheus-stack 79.5.0's datasource ConfigMap
 * (templates/grafana/configmaps-datasources.yaml), whose Prometheus uid
 * `prometheus` is the default of the dashboard's `datasource` variable.
 *
 * Everything the dashboard queries is scraped (cAdvisor, the kubelet,
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

/** The dashboard sidecar's label and value (grafana 10.1.4 values.yaml sidecar.dashboards.label / labelValue; kube-prometheus-stack 79.5.0 sets the same). */
export const DASHBOARD_SIDECAR = { label: "grafana_dashboard", labelValue: "1" } as const;
export const DASHBOARD_LABEL = { grafana_dashboard: DASHBOARD_SIDECAR.labelValue } as const;

/**
 * Grafana's admin user, read from a Secret the platform creates (grafana 10.1.4 values.yaml
 * `admin.existingSecret`, `admin.userKey`, `admin.passwordKey`; templates/_pod.tpl reads both
 * keys for GF_SECURITY_ADMIN_USER/PASSWORD and the sidecars' reload calls). The password is
 * derived from the stack's seed (infra/sqld-auth.ts grafanaAdminPassword).
 */
export const GRAFANA_ADMIN = { secret: "grafana-admin", user: "admin", userKey: "admin-user", passwordKey: "admin-password" } as const;

/** The admin Secret, with the password as the caller holds it (a Pulumi secret under the program). */
export function grafanaAdminSecret<Password>(password: Password) {
  return {
    metadata: { name: GRAFANA_ADMIN.secret, namespace: MONITORING_NAMESPACE, labels: { "app.kubernetes.io/part-of": "creator-platform" } },
    stringData: { [GRAFANA_ADMIN.userKey]: GRAFANA_ADMIN.user, [GRAFANA_ADMIN.passwordKey]: password },
  };
}

/** The dashboards, by file name in the ConfigMap (the sidecar writes each key as a file). */
export const DASHBOARDS = { "creators.json": creators } as const;

export function dashboardConfigMap() {
  return {
    apiVersion: "v1" as const,
    kind: "ConfigMap" as const,
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
