/**
 * Third-party behaviour the platform relies on, each rule as read in the
 * upstream source at the version this project pins (the comment on each test
 * names the file). Charts, cloud APIs and controllers cannot run here, so the
 * rule is encoded and checked against what the real program registers under
 * the mock runtime. When a pinned version changes, this file is the checklist.
 */
import { describe, expect, it } from "vitest";
import { PLATFORM_NAMESPACES, PLATFORM_ROLE_LABEL } from "../../infra/contract/namespaces.ts";
import { PRIORITY_CLASSES } from "../../infra/platform/priorities.ts";
import { type MockEngine, type Registration, isSecret, mapSecrets } from "../../infra/offline/mocks.ts";
import { resolvedConfig } from "../support/config.ts";
import { runProgram } from "../support/run-program.ts";

const lke = {
  provider: "linode",
  region: "us-east",
  kubernetesVersion: "1.33",
  nodePools: [{ name: "main", type: "g6-standard-4" }],
};
const civo = { provider: "civo", region: "LON1", kubernetesVersion: "1.33.1-k3s1", nodePools: [{ name: "main", size: "g4s.kube.large" }] };

type Values = Record<string, unknown>;
const chart = (engine: MockEngine, name: string): Registration => {
  const found = engine.byType("kubernetes:helm.sh/v4:Chart").find((r) => r.inputs.chart === name);
  if (!found) throw new Error(`chart ${name} is not installed`);
  return found;
};
const valuesOf = (engine: MockEngine, name: string) => chart(engine, name).inputs.values as Values;
const at = (object: unknown, path: string): unknown =>
  path.split(".").reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], object);
const kubeObjects = (engine: MockEngine, kind: string) => engine.registrations.filter((r) => r.inputs.kind === kind).map((r) => r.inputs);

describe("upstream rules, on a Linode stack with every add-on", async () => {
  const { engine } = await runProgram(resolvedConfig({ cluster: lke, storage: { type: "local" } }), "use1", { nodeCounts: { main: 3 } });

  it("no chart is asked to render monitoring objects before their CRDs exist", () => {
    // traefik-helm-chart v41.3.0 traefik/templates/servicemonitor.yaml: `fail "ERROR: You have to deploy
    // monitoring.coreos.com/v1 first"` unless the API is in .Capabilities, which pulumi-kubernetes
    // v4.34.2 (provider/pkg/provider/helm/v4/chart.go) reads from the live cluster when it expands the chart.
    expect(at(valuesOf(engine, "traefik"), "metrics.prometheus.serviceMonitor.enabled")).toBe(false);
    expect(at(valuesOf(engine, "traefik"), "metrics.prometheus.prometheusRule")).toBeUndefined();
    // cert-manager v1.19.1 templates/servicemonitor.yaml renders without a check and fails to apply without the CRD.
    expect(at(valuesOf(engine, "cert-manager"), "prometheus.servicemonitor.enabled")).toBe(false);
    // The platform scrapes both itself, with PodMonitors made after the monitoring chart.
    const monitors = kubeObjects(engine, "PodMonitor").map((m) => (m.metadata as { name: string }).name).sort();
    expect(monitors).toEqual(["cert-manager", "creator-sqld", "traefik"]);
  });

  it("kube-prometheus-stack needs nothing a Helm hook makes", () => {
    // kube-prometheus-stack-79.5.0 templates/prometheus-operator/deployment.yaml mounts the Secret
    // <fullname>-admission whenever prometheusOperator.tls.enabled; only the admission-create hook Job
    // (admission-webhooks/job-patch/) creates it, and helm.v4.Chart sets DisableHooks.
    const operator = at(valuesOf(engine, "kube-prometheus-stack"), "prometheusOperator");
    expect(at(operator, "tls.enabled")).toBe(false);
    expect(at(operator, "admissionWebhooks.enabled")).toBe(false);
    expect(at(operator, "admissionWebhooks.patch.enabled")).toBe(false);
  });

  it("cert-manager's startup API check runs as an ordinary Job, so the issuers wait for the webhook's CA", async () => {
    // cert-manager v1.19.1 deploy/charts/cert-manager/values.yaml: startupapicheck.jobAnnotations,
    // .rbac.annotations and .serviceAccount.annotations make it a post-install hook; a null in a
    // values file deletes a default map (Helm v3.20.2 coalescing).
    const files = chart(engine, "cert-manager").inputs.valueYamlFiles as Array<{ text: Promise<string> }>;
    const { parse } = await import("yaml");
    const yaml = parse(await files[0]?.text ?? "") as Values;
    expect(yaml).toEqual({ startupapicheck: { jobAnnotations: null, rbac: { annotations: null }, serviceAccount: { annotations: null } } });
  });

  it("local-path-provisioner's manifest brings its own Namespace, so the program does not create it", () => {
    // rancher/local-path-provisioner v0.0.32 deploy/local-path-storage.yaml contains `kind: Namespace`
    // local-path-storage; a second create of it is a 409 (pulumi-kubernetes await.go creates, no upsert).
    const namespaces = kubeObjects(engine, "Namespace").map((n) => (n.metadata as { name: string }).name);
    expect(namespaces).not.toContain("local-path-storage");
    expect(engine.byType("kubernetes:yaml/v2:ConfigGroup").filter((r) => r.name.endsWith("-local-path-provisioner"))).toHaveLength(1);
  });

  it("the versioned backups bucket has object-storage keys to set versioning with", () => {
    // @pulumi/linode 5.1.1 objectStorageBucket.d.ts: versioning "(Requires `accessKey` and `secretKey`)";
    // provider.d.ts: objUseTempKeys makes the provider create temporary keys at apply time.
    const bucket = engine.byType("linode:index/objectStorageBucket:ObjectStorageBucket")[0];
    expect(bucket?.inputs.versioning).toBe(true);
    const hasKeys = bucket?.inputs.accessKey !== undefined && bucket?.inputs.secretKey !== undefined;
    const provider = engine.byType("pulumi:providers:linode").find((p) => bucket?.provider?.includes(`pulumi:providers:linode::${p.name}::`));
    expect(hasKeys || ["true", true].includes(provider?.inputs.objUseTempKeys as string | boolean)).toBe(true);
  });

  it("HTTP-01 solver Services are ClusterIP, which creator quotas allow", () => {
    // cert-manager v1.19.1 pkg/apis/acme/v1/types_issuer.go: serviceType "If unset, defaults to NodePort";
    // every creator namespace's quota sets services.nodeports: 0.
    const solvers = kubeObjects(engine, "ClusterIssuer").flatMap((i) => (at(i, "spec.acme.solvers") as Values[]) ?? []);
    const http01 = solvers.filter((s) => s.http01);
    expect(http01.length).toBeGreaterThan(0);
    for (const solver of http01) expect(at(solver, "http01.ingress.serviceType")).toBe("ClusterIP");
    for (const quota of kubeObjects(engine, "ResourceQuota")) expect(at(quota, "spec.hard")).toMatchObject({ "services.nodeports": "0" });
  });

  it("sqld's admin listener (and its /metrics) is behind a key, and Prometheus presents it", () => {
    // libsql-server-v0.24.33 src/main.rs: --admin-auth-key (env LIBSQL_ADMIN_AUTH_KEY); without it the admin
    // API has no authentication. src/http/admin/mod.rs guards /metrics too with `Authorization: Basic <key>`.
    for (const deployment of kubeObjects(engine, "Deployment").filter((d) => (d.metadata as { name: string }).name === "ghost")) {
      const sqld = (at(deployment, "spec.template.spec.initContainers") as Values[]).find((c) => c.name === "sqld");
      expect((sqld?.args as string[]).some((a) => a.startsWith("--admin-listen-addr="))).toBe(true);
      expect((sqld?.env as Values[]).map((e) => e.name)).toContain("LIBSQL_ADMIN_AUTH_KEY");
    }
    const monitor = kubeObjects(engine, "PodMonitor").find((m) => (m.metadata as { name: string }).name === "creator-sqld");
    expect(at(monitor, "spec.podMetricsEndpoints")).toMatchObject([{ authorization: { type: "Basic", credentials: { name: "sqld-admin" } } }]);
    const keys = engine.byType("kubernetes:core/v1:Secret").filter((r) => (r.inputs.metadata as { name: string }).name === "sqld-admin");
    expect(keys.map((r) => (r.inputs.metadata as { namespace: string }).namespace)).toContain(PLATFORM_NAMESPACES.monitoring);
    for (const key of keys) expect(isSecret(key.inputs.stringData)).toBe(true);
  });

  it("Traefik may send creators' traffic to the shared cache through their ExternalName Service, with their Middleware", () => {
    // traefik v3.7.9 (the newest v3.7 tag mirrored; the chart ships v3.7.11) pkg/provider/kubernetes/ingress/kubernetes.go:
    // `externalName services not allowed` unless AllowExternalNameServices; traefik-helm-chart v41.3.0
    // values.yaml: providers.kubernetesIngress.allowExternalNameServices (default false). The Middleware named
    // by the Ingress annotation comes from the CRD provider (providers.kubernetesCRD.enabled).
    expect(at(valuesOf(engine, "traefik"), "providers.kubernetesIngress.allowExternalNameServices")).toBe(true);
    expect(at(valuesOf(engine, "traefik"), "providers.kubernetesCRD.enabled")).toBe(true);
    const front = kubeObjects(engine, "Service").find((s) => (s.metadata as { name: string }).name === "front");
    expect(at(front, "spec.type")).toBe("ExternalName");
    // The Service's own port is the one Traefik dials on the external name.
    expect(at(front, "spec.ports")).toEqual([{ name: "http", port: 80, protocol: "TCP" }]);
  });

  it("each workload of the platform's own add-ons is applied after what its Pods read", () => {
    // pulumi-kubernetes v4.25.0 provider/pkg/gen/examples/overlays/configGroupV2.md: a ConfigGroup orders its objects
    // only by the config.kubernetes.io/depends-on annotation, `<group>/namespaces/<namespace>/<kind>/<name>`.
    const group = engine.byType("kubernetes:yaml/v2:ConfigGroup").find((r) => r.name.endsWith("-sleep-engine"));
    const objects = (group?.inputs.objs ?? []) as Array<{ kind: string; metadata: { name: string; annotations?: Record<string, string> } }>;
    const sablier = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "sablier");
    const dependsOn = sablier?.metadata.annotations?.["config.kubernetes.io/depends-on"]?.split(",") ?? [];
    expect(dependsOn).toEqual(expect.arrayContaining(["/namespaces/platform-sleep/ServiceAccount/sablier", "rbac.authorization.k8s.io/ClusterRoleBinding/creator-platform-sablier"]));
    expect(dependsOn.some((r) => r.includes("/Service/") || r.includes("/PersistentVolumeClaim/"))).toBe(false);
  });

  it("the sleep engine keeps awake sites awake across its own restart, and may only scale", () => {
    const group = engine.byType("kubernetes:yaml/v2:ConfigGroup").find((r) => r.name.endsWith("-sleep-engine"));
    const objects = (group?.inputs.objs ?? []) as Array<{ kind: string; spec?: unknown; rules?: unknown }>;
    const container = at(objects.find((o) => o.kind === "Deployment"), "spec.template.spec.containers.0") as { args: string[]; volumeMounts: Array<{ mountPath: string }> };
    // sablierapp/sablier v1.16.2 pkg/sablier/autostop.go: on start, scales to zero every labelled workload
    // without a session when --provider.auto-stop-on-startup is true (its default).
    expect(container.args).toContain("--provider.auto-stop-on-startup=false");
    // pkg/sabliercmd/storage.go: --storage.file is read at start, written at a graceful stop: on a volume.
    const file = container.args.find((a) => a.startsWith("--storage.file="))?.split("=")[1] ?? "";
    expect(container.volumeMounts.some((m) => file.startsWith(`${m.mountPath}/`))).toBe(true);
    expect(at(objects.find((o) => o.kind === "Deployment"), "spec.strategy.type")).toBe("Recreate");
    // pkg/provider/kubernetes/workload_scale.go: GetScale and UpdateScale; informers list and watch.
    expect(objects.find((o) => o.kind === "ClusterRole")?.rules).toEqual([
      { apiGroups: ["apps"], resources: ["deployments", "statefulsets"], verbs: ["get", "list", "watch"] },
      { apiGroups: ["apps"], resources: ["deployments/scale", "statefulsets/scale"], verbs: ["get", "update"] },
    ]);
  });

  it("the platform creates its own namespaces with the role label the creators' NetworkPolicies admit", () => {
    const namespaces = kubeObjects(engine, "Namespace").map((n) => n.metadata as { name: string; labels?: Record<string, string> });
    const platform = namespaces.filter((n) => n.labels?.[PLATFORM_ROLE_LABEL] !== undefined);
    expect(platform.map((n) => [n.name, n.labels?.[PLATFORM_ROLE_LABEL]]).sort()).toEqual([
      ["cert-manager", "cert-manager"],
      ["monitoring", "monitoring"],
      ["platform-cache", "cache"],
      ["platform-ops", "ops"],
      ["platform-sleep", "sleep"],
      ["traefik", "ingress"],
    ]);
    for (const name of Object.values(PLATFORM_NAMESPACES)) expect(name.startsWith("creator-")).toBe(false);
    const policy = kubeObjects(engine, "NetworkPolicy").find((p) => (p.metadata as { name: string }).name === "ghost");
    expect(JSON.stringify(policy)).toContain(`{"namespaceSelector":{"matchLabels":{"${PLATFORM_ROLE_LABEL}":"ops"}}}`);
    expect(JSON.stringify(policy)).not.toContain("kubernetes.io/metadata.name\":\"platform-ops");
  });
});

describe("upstream rules, on a Linode stack with Grafana (monitoring.grafana.enabled)", async () => {
  const config = resolvedConfig({ cluster: lke, storage: { type: "local" }, monitoring: { grafana: { enabled: true } } });
  const { engine } = await runProgram(config, "use1", { nodeCounts: { main: 3 } });
  const grafana = () => at(valuesOf(engine, "kube-prometheus-stack"), "grafana");
  const configMap = () => kubeObjects(engine, "ConfigMap").find((c) => (c.metadata as { name: string }).name === "creator-platform-dashboards");

  it("the grafana subchart is rendered, without kube-prometheus-stack's own dashboards", () => {
    // kube-prometheus-stack-79.5.0 Chart.yaml: dependency grafana 10.1.4, `condition: grafana.enabled`.
    expect(at(grafana(), "enabled")).toBe(true);
    // templates/grafana/dashboards-1.14/*.yaml render each dashboard ConfigMap only `if and (or .Values.grafana.enabled
    // .Values.grafana.forceDeployDashboards) ... .Values.grafana.defaultDashboardsEnabled` (values.yaml default true).
    expect(at(grafana(), "defaultDashboardsEnabled")).toBe(false);
    expect(at(grafana(), "forceDeployDashboards")).toBeUndefined();
  });

  it("Grafana's container and every sidecar have requests and a memory limit", () => {
    // grafana-10.1.4 charts/grafana/values.yaml: `resources: {}` and `sidecar.resources: {}`; templates/_pod.tpl puts
    // .Values.resources on the grafana container (and GOMEMLIMIT from its limits.memory), and .Values.sidecar.resources
    // on each sidecar container (dashboards, datasources; alerts, plugins and notifiers are off by default).
    for (const path of ["resources", "sidecar.resources"]) {
      expect(at(grafana(), `${path}.requests.cpu`), path).toMatch(/^\d+m$/);
      expect(at(grafana(), `${path}.requests.memory`), path).toMatch(/^\d+Mi$/);
      expect(at(grafana(), `${path}.limits.memory`), path).toMatch(/^\d+Mi$/);
    }
    // _pod.tpl: `with .Values.priorityClassName` (values.yaml leaves it unset).
    expect(PRIORITY_CLASSES.map((pc) => pc.name)).toContain(at(grafana(), "priorityClassName"));
  });

  it("the dashboard sidecar loads the platform's ConfigMap, from the monitoring namespace only", () => {
    // grafana-10.1.4 values.yaml sidecar.dashboards: enabled false, label grafana_dashboard, labelValue "" by default;
    // kube-prometheus-stack-79.5.0 values.yaml sets enabled true, labelValue "1" and searchNamespace ALL.
    // _pod.tpl: NAMESPACE is `searchNamespace | join ","`; without it the sidecar reads its own namespace.
    const sidecar = at(grafana(), "sidecar.dashboards") as Values;
    expect(sidecar).toMatchObject({ enabled: true, label: "grafana_dashboard", labelValue: "1", searchNamespace: [PLATFORM_NAMESPACES.monitoring] });
    expect(configMap()).toMatchObject({ metadata: { namespace: PLATFORM_NAMESPACES.monitoring, labels: { [String(sidecar.label)]: sidecar.labelValue } } });
    // templates/clusterrole.yaml renders only `if ... (or (not .Values.rbac.namespaced) ...)`; templates/role.yaml grants
    // configmaps and secrets get/watch/list in the release namespace when rbac.namespaced and a sidecar is on.
    expect(at(grafana(), "rbac.namespaced")).toBe(true);
    // kube-prometheus-stack-79.5.0 templates/grafana/configmaps-datasources.yaml: the Prometheus datasource (uid
    // `grafana.sidecar.datasources.uid`, default "prometheus") in Grafana's namespace, for the datasource sidecar
    // (values.yaml sidecar.datasources.enabled true, searchNamespace unset: its own namespace). Left as it is.
    expect(at(grafana(), "sidecar.datasources")).toBeUndefined();
  });

  it("Grafana's admin user comes from the platform's Secret, and nothing needs a volume or a hook", () => {
    // grafana-10.1.4 templates/_pod.tpl: GF_SECURITY_ADMIN_USER / _PASSWORD (and the sidecars' REQ_USERNAME /
    // REQ_PASSWORD) are secretKeyRefs to `admin.existingSecret` keys `admin.userKey` / `admin.passwordKey`;
    // templates/secret.yaml makes the chart's own random-password Secret only without existingSecret.
    const admin = at(grafana(), "admin") as { existingSecret: string; userKey: string; passwordKey: string };
    const secret = engine.byType("kubernetes:core/v1:Secret").find((r) => (r.inputs.metadata as { name: string }).name === admin.existingSecret);
    expect(at(secret?.inputs, "metadata.namespace")).toBe(PLATFORM_NAMESPACES.monitoring);
    const data = secret?.inputs.stringData as Values;
    expect(isSecret(data) || isSecret(data[admin.passwordKey])).toBe(true);
    expect(Object.keys(mapSecrets(data, (v) => v) as Values).sort()).toEqual([admin.passwordKey, admin.userKey].sort());
    // templates/pvc.yaml renders only with persistence.enabled (values.yaml default false; kube-prometheus-stack's
    // values only suggest it), and the initChownData init container runs only with it.
    expect(at(grafana(), "persistence.enabled")).toBe(false);
    // kube-prometheus-stack-79.5.0 values.yaml grafana.serviceMonitor.enabled true renders grafana's
    // templates/servicemonitor.yaml: Grafana's own metrics, read by no panel, off. templates/tests/test.yaml is a
    // `helm.sh/hook: test` Pod (dropped by helm.v4.Chart) with its own ServiceAccount and ConfigMap: off.
    expect(at(grafana(), "serviceMonitor.enabled")).toBe(false);
    expect(at(grafana(), "testFramework.enabled")).toBe(false);
  });
});

describe("upstream rules, on a Civo stack", async () => {
  const { engine } = await runProgram(resolvedConfig({ cluster: civo }), "lon1", { nodeCounts: { main: 3 } });

  it("Ingresses name an IngressClass that exists, of Traefik's controller", () => {
    // traefik v2.11.53 pkg/provider/kubernetes/ingress/kubernetes.go shouldProcessIngress: an Ingress with
    // ingressClassName is served only if an IngressClass of that name with controller
    // traefik.io/ingress-controller exists; Civo's traefik2-loadbalancer app (civo/kubernetes-marketplace)
    // creates none. The platform's Traefik chart 41.3.0 creates it (templates/ingressclass.yaml).
    const traefik = valuesOf(engine, "traefik");
    expect(at(traefik, "ingressClass")).toMatchObject({ enabled: true });
    const className = at(traefik, "ingressClass.name");
    const ingresses = kubeObjects(engine, "Ingress");
    expect(ingresses.length).toBeGreaterThan(0);
    for (const ingress of ingresses) expect(at(ingress, "spec.ingressClassName")).toBe(className);
    const issuers = kubeObjects(engine, "ClusterIssuer").flatMap((i) => at(i, "spec.acme.solvers") as Values[]);
    for (const solver of issuers) if (solver.http01) expect(at(solver, "http01.ingress.ingressClassName")).toBe(className);
  });
});
