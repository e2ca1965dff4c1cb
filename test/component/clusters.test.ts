/**
 * Cluster targets and platform add-ons under the mock runtime: provider wiring,
 * secrets, firewall rules, and each add-on exactly once where the cluster does
 * not already ship it.
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type MockEngine, type Registration, isSecret, mapSecrets } from "../../infra/offline/mocks.ts";
import { validateAgainstKubernetesSchema } from "../support/kube-schema.ts";
import { resolvedConfig } from "../support/config.ts";
import { runProgram } from "../support/run-program.ts";

const civo = {
  provider: "civo",
  region: "LON1",
  kubernetesVersion: "1.33.1-k3s1",
  nodePools: [
    { name: "main", size: "g4s.kube.xlarge" },
    { name: "burst", size: "g4s.kube.large", count: 2 },
  ],
};
const linode = {
  provider: "linode",
  region: "us-east",
  kubernetesVersion: "1.33",
  highAvailability: true,
  apiAllowedCidrs: ["198.51.100.0/24"],
  nodePools: [{ name: "main", type: "g6-standard-6", autoscaler: { min: 2, max: 6 } }],
};

const charts = (engine: MockEngine) =>
  engine.byType("kubernetes:helm.sh/v4:Chart").map((r) => `${String(r.inputs.chart)}@${String(r.inputs.namespace)}`).sort();

function onlyOne(engine: MockEngine, type: string): Registration {
  const found = engine.byType(type);
  expect(found, type).toHaveLength(1);
  return found[0] as Registration;
}

function expectExplicitKubernetesProvider(engine: MockEngine, stack: string) {
  const kube = engine.registrations.filter((r) => r.type.startsWith("kubernetes:") && r.custom);
  expect(kube.length).toBeGreaterThan(0);
  for (const r of kube) expect(r.provider, `${r.type} ${r.name}`).toContain(`pulumi:providers:kubernetes::${stack}-k8s::`);
}

describe("Civo", async () => {
  const { engine, outputs } = await runProgram(resolvedConfig({ cluster: civo }), "lon1", { nodeCounts: { main: 4 } });

  it("creates a network and no firewall: this provider version cannot attach one, and says so", () => {
    onlyOne(engine, "civo:index/network:Network");
    expect(engine.byType("civo:index/firewall:Firewall")).toEqual([]);
    expect(engine.byType("civo:index/firewallRule:FirewallRule")).toEqual([]);
    const limitations = (outputs.cluster as { limitations: string[] }).limitations.join("\n");
    expect(limitations).toMatch(/treat the Kubernetes API \(6443\) and every NodePort as open to the world/);
  });

  it("sizes the k3s cluster's pools and chooses its marketplace apps on purpose", () => {
    const k3s = onlyOne(engine, "civo:index/kubernetesCluster:KubernetesCluster").inputs;
    expect(k3s).toMatchObject({ region: "LON1", numTargetNodes: 4, targetNodesSize: "g4s.kube.xlarge" });
    expect(k3s.kubernetesVersion).toBe("1.33.1-k3s1");
    // Civo's own Traefiks are not used (infra/platform/cluster-facts.ts says why); metrics-server is.
    expect(String(k3s.applications).split(",")).toEqual(["-traefik2-nodeport", "metrics-server"]);
    const pool = onlyOne(engine, "civo:index/kubernetesNodePool:KubernetesNodePool").inputs;
    expect(pool).toMatchObject({ numTargetNodes: 2, targetNodesSize: "g4s.kube.large" });
    expect(outputs.cluster).toMatchObject({
      provider: "civo",
      nodePools: [
        { pool: "main", size: "g4s.kube.xlarge", count: 4 },
        { pool: "burst", size: "g4s.kube.large", count: 2 },
      ],
    });
  });

  it("builds the Kubernetes provider from the cluster's kubeconfig, as a secret", () => {
    const provider = onlyOne(engine, "pulumi:providers:kubernetes");
    expect(provider.name).toBe("lon1-k8s");
    expect(isSecret(provider.inputs.kubeconfig)).toBe(true);
    expectExplicitKubernetesProvider(engine, "lon1");
  });

  it("says continuous backups are off when the stack names no bucket", () => {
    expect((outputs.cluster as { limitations: string[] }).limitations).toContain(
      "continuous backups are off: no backups bucket (backups.bucket and backups.endpoint)",
    );
    expect(engine.registrations.some((r) => r.name.endsWith(".secret.backup-credentials"))).toBe(false);
  });

  it("installs what Civo does not ship: its own Traefik, not metrics-server, and admits only it to the shared cache", () => {
    expect(charts(engine)).toEqual(["cert-manager@cert-manager", "kube-prometheus-stack@monitoring", "traefik@traefik"]);
    const cache = engine.byType("kubernetes:yaml/v2:ConfigGroup").find((r) => r.name.endsWith("-shared-cache"));
    const policy = (cache?.inputs.objs as Array<{ kind: string; spec: unknown }>).find((o) => o.kind === "NetworkPolicy");
    expect(JSON.stringify(policy?.spec)).toContain('"kubernetes.io/metadata.name":"traefik"');
  });
});

describe("Linode", async () => {
  const { engine, outputs } = await runProgram(resolvedConfig({ cluster: linode, storage: { type: "local" } }), "use1", {
    nodeCounts: { main: 3 },
  });

  it("creates LKE with the autoscaler bounds, an HA control plane and an API allow-list", () => {
    const lke = onlyOne(engine, "linode:index/lkeCluster:LkeCluster").inputs;
    expect(lke).toMatchObject({
      region: "us-east",
      k8sVersion: "1.33",
      pools: [{ type: "g6-standard-6", count: 3, autoscaler: { min: 2, max: 6 } }],
      controlPlane: { highAvailability: true, acl: { enabled: true, addresses: [{ ipv4s: ["198.51.100.0/24"] }] } },
    });
  });

  it("decodes LKE's base64 kubeconfig for the provider and keeps it secret", () => {
    const provider = onlyOne(engine, "pulumi:providers:kubernetes");
    expect(isSecret(provider.inputs.kubeconfig)).toBe(true);
    const kubeconfig = parse((provider.inputs.kubeconfig as { value: string }).value) as { kind: string };
    expect(kubeconfig.kind).toBe("Config");
    expectExplicitKubernetesProvider(engine, "use1");
  });

  it("creates a backups bucket with a key scoped to it", () => {
    const bucket = onlyOne(engine, "linode:index/objectStorageBucket:ObjectStorageBucket").inputs;
    const key = onlyOne(engine, "linode:index/objectStorageKey:ObjectStorageKey").inputs;
    expect(key.bucketAccesses).toEqual([{ bucketName: bucket.label, region: "us-east", permissions: "read_write" }]);
    expect(outputs.cluster).toMatchObject({
      backups: { bucket: bucket.label, endpoint: "https://us-east-1.linodeobjects.com", continuous: true },
    });
  });

  it("gives every creator's sqld the bucket's key, as a secret of its own namespace, for continuous backups", () => {
    const secrets = engine.byType("kubernetes:core/v1:Secret").filter((r) => r.name.endsWith(".secret.backup-credentials"));
    expect(secrets).toHaveLength(3);
    for (const r of secrets) expect(isSecret(r.inputs.stringData)).toBe(true);
    const ghost = engine.byType("kubernetes:apps/v1:Deployment").find((r) => r.name === "bob.deployment.ghost");
    expect(JSON.stringify(ghost?.inputs)).toContain('"name":"LIBSQL_BOTTOMLESS_DATABASE_ID","value":"bob"');
  });

  it("installs every add-on LKE lacks, each exactly once, and a local-path provisioner for node-local storage", () => {
    expect(charts(engine)).toEqual([
      "cert-manager@cert-manager",
      "kube-prometheus-stack@monitoring",
      "metrics-server@kube-system",
      "traefik@traefik",
    ]);
    expect(engine.byType("kubernetes:yaml/v2:ConfigGroup").map((r) => r.name.replace(/^.*-platform-/, "")).sort()).toEqual(["local-path-provisioner", "shared-cache", "sleep-engine"]);
    const pvc = engine.byType("kubernetes:core/v1:PersistentVolumeClaim").find((r) => r.name === "alice.persistentvolumeclaim.data");
    expect((pvc?.inputs.spec as { storageClassName: string }).storageClassName).toBe("local-path");
  });

  it("gives Traefik one LoadBalancer for the whole cluster", () => {
    const traefik = engine.byType("kubernetes:helm.sh/v4:Chart").find((r) => r.inputs.chart === "traefik");
    // Traefik chart 41.3.0 values.yaml: the Service type is `service.spec.type` (a `service.type` is ignored).
    expect((traefik?.inputs.values as { service: { spec: { type: string } } }).service.spec.type).toBe("LoadBalancer");
    // Every other Service is internal: creators' own, and their ExternalName to the shared cache.
    const services = engine.byType("kubernetes:core/v1:Service").map((r) => (r.inputs.spec as { type: string }).type);
    expect(new Set(services)).toEqual(new Set(["ClusterIP", "ExternalName"]));
  });
});

describe("platform add-ons on any cluster", async () => {
  const { engine } = await runProgram(
    resolvedConfig({
      platform: {
        domain: "creators.example",
        tls: { mode: "letsencrypt", email: "ops@creators.example", staging: true, wildcard: { dnsProvider: "cloudflare" } },
        mail: { from: "Creators <noreply@creators.example>", host: "smtp.mail.example", user: "postmaster" },
      },
      cloudflareApiToken: "cf-token",
      smtpPassword: "smtp-secret",
      backups: { bucket: "creator-backups", endpoint: "https://s3.objects.example" },
      backupAccessKeyId: "key-id",
      backupSecretAccessKey: "key-secret",
    }),
  );
  const custom = (kind: string) =>
    engine.registrations.filter((r) => r.custom && r.inputs.kind === kind).map((r) => r.inputs);

  it("creates the priority classes once, platform above creators", () => {
    const classes = engine.byType("kubernetes:scheduling.k8s.io/v1:PriorityClass").map((r) => r.inputs);
    const value = (name: string) => classes.find((c) => (c.metadata as { name: string }).name === name)?.value as number;
    expect(classes).toHaveLength(2);
    expect(value("platform-critical")).toBeGreaterThan(value("creator-site"));
  });

  it("issues certificates: HTTP-01 for custom domains, a DNS-01 wildcard served by Traefik by default", () => {
    expect(custom("ClusterIssuer").map((i) => (i.metadata as { name: string }).name)).toEqual([
      "letsencrypt-staging-http01",
      "letsencrypt-staging-dns01",
    ]);
    expect(JSON.stringify(custom("ClusterIssuer"))).toContain("acme-staging-v02");
    expect(custom("Certificate")[0]?.spec).toMatchObject({ dnsNames: ["creators.example", "*.creators.example"] });
    expect(custom("TLSStore")[0]?.metadata).toEqual({ name: "default", namespace: "traefik" });
    const token = engine.byType("kubernetes:core/v1:Secret").find((r) => r.name.endsWith("cloudflare-token"));
    expect(isSecret((token?.inputs.stringData as Record<string, unknown>)["api-token"]) || isSecret(token?.inputs.stringData)).toBe(true);
  });

  it("gives every creator the SMTP password and the stack's backup key as secrets of its own namespace", () => {
    const backup = engine.byType("kubernetes:core/v1:Secret").filter((r) => r.name.endsWith(".secret.backup-credentials"));
    expect(backup).toHaveLength(3);
    for (const r of backup) expect(isSecret(r.inputs.stringData)).toBe(true);
    const mail = engine.byType("kubernetes:core/v1:Secret").filter((r) => r.name.endsWith(".secret.ghost-mail"));
    expect(mail.map((r) => (r.inputs.metadata as { namespace: string }).namespace).sort()).toEqual([
      "creator-alice",
      "creator-bob",
      "creator-carol",
    ]);
    for (const r of mail) expect(isSecret(r.inputs.stringData)).toBe(true);
  });

  it("alerts on OOM kills, restart loops, sqld down, full volumes and expiring certificates, and scrapes sqld", () => {
    const rules = (custom("PrometheusRule")[0]?.spec as { groups: { rules: { alert: string }[] }[] }).groups[0]?.rules ?? [];
    expect(rules.map((r) => r.alert)).toEqual([
      "CreatorContainerOOMKilled",
      "CreatorRestartLoop",
      "CreatorSqldDown",
      "CreatorVolumeNearlyFull",
      "CertificateNearExpiry",
    ]);
    expect(custom("PodMonitor")[0]?.spec).toMatchObject({ podMetricsEndpoints: [{ port: "metrics" }] });
    const ghost = engine.byType("kubernetes:apps/v1:Deployment").find((r) => r.name === "alice.deployment.ghost");
    expect(JSON.stringify(ghost?.inputs)).toContain('{"containerPort":9090,"name":"metrics","protocol":"TCP"}');
  });

  it("registers only objects that are valid against their Kubernetes or CRD schemas", () => {
    const objects = engine.registrations.filter((r) => r.custom && r.type.startsWith("kubernetes:") && r.type !== "pulumi:providers:kubernetes");
    expect(objects.length).toBeGreaterThan(40);
    for (const r of objects) expect(() => validateAgainstKubernetesSchema(mapSecrets(r.inputs, (v) => v) as object), r.name).not.toThrow();
  });

  it("installs nothing an existing cluster says it ships, and says what its own Traefik must allow", async () => {
    const { engine: shipped, outputs } = await runProgram(
      resolvedConfig({ cluster: { provider: "existing", ships: ["traefik", "metrics-server", "cert-manager", "monitoring"] } }),
    );
    expect(charts(shipped)).toEqual([]);
    expect((outputs.cluster as { limitations: string[] }).limitations.join("\n")).toMatch(/own Traefik must allow ExternalName Services/);
    const { outputs: own } = await runProgram(resolvedConfig({ cluster: { provider: "existing", ships: [] } }));
    expect((own.cluster as { limitations: string[] }).limitations.join("\n")).not.toMatch(/ExternalName/);
  });
});

describe("node counts", () => {
  it("the cluster component gets the counts the cost model packed", async () => {
    const pools = [
      { name: "main", size: "g4s.kube.large" },
      { name: "more", size: "g4s.kube.medium" },
    ];
    const creators = Array.from({ length: 24 }, (_, i) => ({ id: `c${i}`, plan: i % 3 === 0 ? "standard" : "starter" }));
    const { engine, outputs } = await runProgram(resolvedConfig({ cluster: { ...civo, nodePools: pools }, creators }), "lon1");
    const packed = (outputs.cost as { nodes: Array<{ pool: string; count: number }> }).nodes;
    expect(packed.length).toBe(2);
    expect(packed.some((n) => n.count > 1)).toBe(true);
    const k3s = onlyOne(engine, "civo:index/kubernetesCluster:KubernetesCluster").inputs;
    const extra = onlyOne(engine, "civo:index/kubernetesNodePool:KubernetesNodePool").inputs;
    expect([k3s.numTargetNodes, extra.numTargetNodes]).toEqual(packed.map((n) => n.count));
    expect((outputs.cluster as { nodePools: Array<{ count: number }> }).nodePools.map((p) => p.count)).toEqual(packed.map((n) => n.count));
  });
});
