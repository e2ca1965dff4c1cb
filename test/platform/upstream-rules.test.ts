/**
 * Third-party behaviour the platform relies on, each rule as read in the
 * upstream source at the version this project pins (the comment on each test
 * names the file). Charts, cloud APIs and controllers cannot run here, so the
 * rule is encoded and checked against what the real program registers under
 * the mock runtime. When a pinned version changes, this file is the checklist.
 */
import { describe, expect, it } from "vitest";
import { PLATFORM_NAMESPACES, PLATFORM_ROLE_LABEL } from "../../infra/contract/namespaces.ts";
import { type MockEngine, type Registration, isSecret } from "../../infra/offline/mocks.ts";
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
