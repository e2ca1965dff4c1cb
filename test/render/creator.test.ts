import { describe, expect, it } from "vitest";
import type { ResolvedConfig } from "../../infra/config/validate.ts";
import { DEFAULT_IMAGES, resolveImages } from "../../infra/images.ts";
import { clusterFacts } from "../../infra/platform/cluster-facts.ts";
import { type RenderedCreator, renderCreator } from "../../infra/render/creator.ts";
import type { IContainer, IDeployment, IIngress, INetworkPolicy, IResourceQuota, KubeObject } from "../../infra/render/objects.ts";
import { resolvedConfig } from "../support/config.ts";

function render(config: ResolvedConfig, id: string): RenderedCreator {
  const creator = config.creators.find((c) => c.id === id);
  if (!creator) throw new Error(`no creator ${id}`);
  const plan = config.plans[creator.plan];
  if (!plan) throw new Error(`no plan ${creator.plan}`);
  return renderCreator({
    creator,
    plan,
    platform: config.platform,
    ingress: clusterFacts(config.cluster).ingress,
    storage: config.storage,
    images: resolveImages({}),
    monitoring: config.monitoring.enabled,
  });
}

const config = resolvedConfig();
const of = <K extends KubeObject["kind"]>(r: RenderedCreator, kind: K, name?: string) =>
  r.objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name)) as Extract<KubeObject, { kind: K }>[];
const one = <K extends KubeObject["kind"]>(r: RenderedCreator, kind: K, name?: string) => {
  const found = of(r, kind, name);
  expect(found, `${kind} ${name ?? ""}`).toHaveLength(1);
  return found[0] as Extract<KubeObject, { kind: K }>;
};
const podContainers = (d: IDeployment): IContainer[] => [
  ...(d.spec?.template.spec?.initContainers ?? []),
  ...(d.spec?.template.spec?.containers ?? []),
];

describe("a starter creator (a plan that sleeps)", () => {
  const alice = render(config, "alice");

  it("lives in its own namespace, enforced as Pod Security restricted", () => {
    expect(alice.namespace).toBe("creator-alice");
    const ns = one(alice, "Namespace");
    expect(ns.metadata?.name).toBe("creator-alice");
    expect(ns.metadata?.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    for (const object of alice.objects.filter((o) => o.kind !== "Namespace")) {
      expect(object.metadata?.namespace, `${object.kind} ${object.metadata?.name}`).toBe("creator-alice");
    }
  });

  it("labels every object with the creator and the app.kubernetes.io labels", () => {
    for (const object of alice.objects) {
      expect(object.metadata?.labels).toMatchObject({
        creator: "alice",
        "app.kubernetes.io/instance": "alice",
        "app.kubernetes.io/part-of": "creator-platform",
        "app.kubernetes.io/managed-by": "pulumi",
      });
    }
  });

  it("runs at most one Ghost, with the Recreate strategy and sqld as a native sidecar, its replicas left to the sleep engine", () => {
    const ghost = one(alice, "Deployment", "ghost");
    // No replicas field: Pulumi's server-side apply never owns it, so an `up` does not wake the site.
    expect(ghost.spec).not.toHaveProperty("replicas");
    expect(ghost.metadata?.labels).toMatchObject({ "sablier.enable": "true", "sablier.group": "creator-alice", "sablier.active.replicas": "1" });
    expect(ghost.spec?.strategy?.type).toBe("Recreate");
    const pod = ghost.spec?.template.spec;
    expect(pod?.initContainers?.map((c) => [c.name, c.restartPolicy])).toEqual([["sqld", "Always"]]);
    expect(pod?.initContainers?.[0]?.image).toBe(DEFAULT_IMAGES.sqld);
    expect(pod?.initContainers?.[0]?.startupProbe?.httpGet?.path).toBe("/health");
    expect(pod?.containers.map((c) => c.name)).toEqual(["ghost"]);
    expect(pod?.automountServiceAccountToken).toBe(false);
    expect(one(alice, "ServiceAccount").automountServiceAccountToken).toBe(false);
  });

  it("gives sqld the public key and Ghost the token, from the creator's Secret, over localhost", () => {
    const pod = one(alice, "Deployment", "ghost").spec?.template.spec;
    const sqld = pod?.initContainers?.[0];
    expect(sqld?.args).toEqual(expect.arrayContaining(["--auth-jwt-key-file=/etc/sqld/jwt-public-key.pem"]));
    const keyVolume = pod?.volumes?.find((v) => v.name === "sqld-auth");
    expect(keyVolume?.secret?.items).toEqual([{ key: "jwt-public-key.pem", path: "jwt-public-key.pem" }]);
    const env = pod?.containers[0]?.env ?? [];
    expect(env.find((e) => e.valueFrom?.secretKeyRef)?.valueFrom?.secretKeyRef).toEqual({ name: "sqld-auth", key: "ghost-token" });
    expect(env.map((e) => e.value).filter((v) => v?.startsWith("http://127.0.0.1:8080"))).toHaveLength(1);
  });

  it("probes Ghost where it answers, every second, so a woken Ghost takes traffic as soon as it is ready", () => {
    const ghost = one(alice, "Deployment", "ghost").spec?.template.spec?.containers[0];
    const startup = ghost?.startupProbe;
    expect(startup?.httpGet?.path).toBe("/ghost/api/admin/site/");
    expect(startup?.httpGet?.httpHeaders).toContainEqual({ name: "X-Forwarded-Proto", value: "https" });
    expect((startup?.periodSeconds ?? 0) * (startup?.failureThreshold ?? 0)).toBeGreaterThanOrEqual(300);
    expect(startup?.periodSeconds).toBe(1);
    expect(ghost?.readinessProbe?.httpGet?.path).toBe("/ghost/api/admin/site/");
    expect(ghost?.readinessProbe?.periodSeconds).toBe(1);
    const liveness = ghost?.livenessProbe;
    expect(liveness?.httpGet).toBeUndefined();
    expect((liveness?.periodSeconds ?? 0) * (liveness?.failureThreshold ?? 0)).toBeGreaterThanOrEqual(300);
  });

  it("applies the restricted security context to every container", () => {
    const ghost = one(alice, "Deployment", "ghost");
    expect(ghost.spec?.template.spec?.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    for (const container of podContainers(ghost)) {
      expect(container.securityContext, container.name).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(container.securityContext?.runAsUser).toBeGreaterThan(0);
      expect(container.volumeMounts?.some((m) => m.mountPath === "/tmp"), `${container.name} has a writable /tmp`).toBe(true);
    }
  });

  it("takes requests, limits and storage from the plan", () => {
    const plan = config.plans.starter;
    const [sqld, ghost] = podContainers(one(alice, "Deployment", "ghost"));
    expect(ghost?.resources).toEqual({ requests: plan?.ghost.requests, limits: plan?.ghost.limits });
    expect(sqld?.resources).toEqual(plan?.sqld);
    expect(one(alice, "PersistentVolumeClaim", "data").spec?.resources?.requests?.storage).toBe(plan?.storage);
    expect(ghost?.env).toContainEqual({ name: "NODE_OPTIONS", value: expect.stringContaining(`--max-old-space-size=${plan?.ghost.heapMb}`) });
  });

  it("caps the namespace: quota from the plan, no LoadBalancer or NodePort services", () => {
    const quota = one(alice, "ResourceQuota").spec?.hard ?? {};
    // ghost 50m + sqld 10m + one ACME solver 10m (one certificate host)
    expect(quota["requests.cpu"]).toBe("70m");
    // ghost 192Mi + sqld 24Mi + solver 64Mi
    expect(quota["requests.memory"]).toBe("280Mi");
    expect(quota.pods).toBe("2");
    expect(quota["services.loadbalancers"]).toBe("0");
    expect(quota["services.nodeports"]).toBe("0");
    expect(quota["requests.storage"]).toBe("1Gi");
    const limits = one(alice, "LimitRange").spec?.limits[0];
    expect(limits?.defaultRequest).toBeDefined();
    expect(limits?.max?.memory).toBe("320Mi");
  });

  it("routes its TLS Ingress on the shared controller to the shared cache, with the creator's headers", () => {
    expect(one(alice, "Service", "ghost").spec?.type).toBe("ClusterIP");
    expect(alice.serviceName).toBe("front");
    const front = one(alice, "Service", "front");
    expect(front.spec).toMatchObject({ type: "ExternalName", externalName: "shared-cache.platform-cache.svc.cluster.local" });
    expect(front.spec?.ports).toEqual([{ name: "http", port: 80, protocol: "TCP" }]);
    const ingress = one(alice, "Ingress");
    expect(ingress.spec?.ingressClassName).toBe("traefik");
    expect(ingress.spec?.rules?.map((r) => r.host)).toEqual(["alice.creators.example"]);
    expect(ingress.spec?.rules?.[0]?.http?.paths[0]?.backend.service?.name).toBe("front");
    expect(ingress.metadata?.annotations?.["traefik.ingress.kubernetes.io/router.middlewares"]).toBe("creator-alice-creator-headers@kubernetescrd");
    const headers = one(alice, "Middleware", "creator-headers").spec.headers.customRequestHeaders;
    expect(headers).toEqual({ "X-Creator-Id": "alice", "X-Creator-Sleep-After": "10m", "X-Creator-State": "" });
    expect(ingress.spec?.tls).toEqual([{ hosts: ["alice.creators.example"], secretName: "site-tls" }]);
    expect(ingress.metadata?.annotations?.["cert-manager.io/cluster-issuer"]).toBe("letsencrypt-http01");
    expect(alice.urls).toEqual(["https://alice.creators.example"]);
  });

  it("has no cache or autoscaler of its own: the shared cache serves every creator", () => {
    expect(of(alice, "HorizontalPodAutoscaler")).toEqual([]);
    expect(of(alice, "Deployment").map((d) => d.metadata?.name)).toEqual(["ghost"]);
  });
});

describe("network isolation", () => {
  const alice = render(config, "alice");
  const policies = of(alice, "NetworkPolicy");
  const named = (name: string): INetworkPolicy => {
    const policy = policies.find((p) => p.metadata?.name === name);
    if (!policy) throw new Error(`no policy ${name}`);
    return policy;
  };

  it("denies all traffic by default", () => {
    expect(named("default-deny").spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
  });

  it("admits only the shared cache's pods, from the platform's cache namespace, to Ghost's port", () => {
    const spec = named("ghost").spec;
    expect(spec?.podSelector.matchLabels).toEqual({ "app.kubernetes.io/instance": "alice", "app.kubernetes.io/component": "ghost" });
    expect(spec?.ingress?.[0]).toEqual({
      from: [
        {
          namespaceSelector: { matchLabels: { "platform.creator-platform.io/role": "cache" } },
          podSelector: { matchLabels: { "app.kubernetes.io/name": "shared-cache" } },
        },
      ],
      ports: [{ protocol: "TCP", port: 2368 }],
    });
  });

  it("admits nothing else to Ghost's port, and the ops namespace to sqld's port alone", () => {
    const rules = policies.flatMap((p) => (p.spec?.ingress ?? []).map((rule) => ({ policy: p.metadata?.name, rule })));
    const toGhost = rules.filter(({ rule }) => rule.ports?.some((port) => port.port === 2368));
    expect(toGhost).toHaveLength(1);
    const ops = rules.filter(({ rule }) => rule.ports?.some((port) => port.port === 8080));
    expect(ops.map((r) => r.rule)).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { "platform.creator-platform.io/role": "ops" } } }],
        ports: [{ protocol: "TCP", port: 8080 }],
      },
    ]);
    const service = one(alice, "Service", "ghost").spec?.ports?.map((p) => [p.name, p.port, p.targetPort]);
    expect(service).toEqual([["http", 80, "http"], ["sqld", 8080, "sqld"]]);
    expect(policies.map((p) => p.metadata?.name)).toEqual(["default-deny", "ghost", "acme-solver"]);
  });

  it("lets pods out only to DNS and to public addresses", () => {
    const egress = policies.flatMap((p) => p.spec?.egress ?? []);
    const peers = egress.flatMap((rule) => rule.to ?? []);
    for (const peer of peers) {
      if (peer.ipBlock) {
        expect(peer.ipBlock.except).toEqual(expect.arrayContaining(peer.ipBlock.cidr.includes(":") ? ["fc00::/7"] : ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"]));
      } else {
        expect(peer.namespaceSelector?.matchLabels).toEqual({ "kubernetes.io/metadata.name": "kube-system" });
        expect(peer.podSelector?.matchLabels).toEqual({ "k8s-app": "kube-dns" });
      }
    }
  });

  it("never refers to another creator's namespace", () => {
    const all = resolvedConfig({
      creators: [
        { id: "alice", plan: "standard", domains: ["alice.blog"] },
        { id: "alice-2", plan: "starter" },
        { id: "bob", plan: "pro" },
      ],
    });
    for (const creator of all.creators) {
      const rendered = render(all, creator.id);
      const text = JSON.stringify(rendered.objects);
      for (const other of all.creators.filter((c) => c.id !== creator.id)) {
        expect(text, `${creator.id} mentions ${other.id}`).not.toMatch(new RegExp(`creator-${other.id}(?![a-z0-9-])`));
        expect(text).not.toMatch(new RegExp(`"${other.id}"`));
      }
    }
  });
});

describe("a standard creator (a plan that never sleeps)", () => {
  const bob = render(config, "bob");

  it("runs its one Ghost all the time: the program owns the replica count, the sleep engine never sees it", () => {
    const ghost = one(bob, "Deployment", "ghost");
    expect(ghost.spec?.replicas).toBe(1);
    expect(Object.keys(ghost.metadata?.labels ?? {}).filter((k) => k.startsWith("sablier."))).toEqual([]);
    expect(one(bob, "Middleware", "creator-headers").spec.headers.customRequestHeaders["X-Creator-Sleep-After"]).toBe("");
  });

  it("serves custom domains with a certificate of their own and uses the custom domain as Ghost's URL", () => {
    expect(bob.hosts).toEqual(["bob.creators.example", "bob.blog"]);
    expect(bob.siteUrl).toBe("https://bob.blog");
    const env = one(bob, "Deployment", "ghost").spec?.template.spec?.containers[0]?.env;
    expect(env).toContainEqual({ name: "url", value: "https://bob.blog" });
    const probe = one(bob, "Deployment", "ghost").spec?.template.spec?.containers[0]?.startupProbe?.httpGet?.httpHeaders;
    expect(probe).toContainEqual({ name: "Host", value: "bob.blog" });
    expect(one(bob, "Ingress").spec?.tls?.[0]?.hosts).toEqual(["bob.creators.example", "bob.blog"]);
    const ingress: IIngress = one(bob, "Ingress");
    expect(ingress.spec?.rules?.every((r) => r.http?.paths[0]?.backend.service?.name === "front")).toBe(true);
  });

  it("leaves room in the quota for Ghost's pod and one ACME solver per certificate host", () => {
    const quota: IResourceQuota = one(bob, "ResourceQuota");
    expect(quota.spec?.hard?.pods).toBe("3"); // Ghost, two ACME solvers
  });
});

describe("lifecycle and TLS modes", () => {
  it("keeps a suspended creator at zero, out of the sleep engine's sight, and keeps its volume", () => {
    const suspendedStarter = resolvedConfig({ creators: [{ id: "dave", plan: "starter", state: "suspended" }] });
    for (const [cfg, id] of [[config, "carol"], [suspendedStarter, "dave"]] as const) {
      const site = render(cfg, id);
      const ghost = one(site, "Deployment", "ghost");
      expect(ghost.spec?.replicas).toBe(0);
      expect(Object.keys(ghost.metadata?.labels ?? {}).filter((k) => k.startsWith("sablier."))).toEqual([]);
      expect(one(site, "Middleware", "creator-headers").spec.headers.customRequestHeaders["X-Creator-State"]).toBe("suspended");
      expect(of(site, "PersistentVolumeClaim")).toHaveLength(1);
    }
  });

  it("with a wildcard certificate, asks for certificates only for custom domains", () => {
    const wildcard = resolvedConfig({
      platform: { domain: "creators.example", tls: { mode: "letsencrypt", email: "o@creators.example", wildcard: { dnsProvider: "cloudflare" } } },
      cloudflareApiToken: "token",
    });
    expect(one(render(wildcard, "alice"), "Ingress").spec?.tls).toBeUndefined();
    expect(Object.keys(one(render(wildcard, "alice"), "Ingress").metadata?.annotations ?? {})).toEqual(["traefik.ingress.kubernetes.io/router.middlewares"]);
    expect(one(render(wildcard, "bob"), "Ingress").spec?.tls).toEqual([{ hosts: ["bob.blog"], secretName: "site-tls" }]);
  });

  it("without TLS, serves plain HTTP with no certificate annotations", () => {
    const plain = resolvedConfig({ platform: { domain: "localtest.me", tls: { mode: "off" } } });
    const alice = render(plain, "alice");
    expect(alice.urls).toEqual(["http://alice.localtest.me"]);
    expect(one(alice, "Ingress").spec?.tls).toBeUndefined();
    expect(one(alice, "ResourceQuota").spec?.hard?.pods).toBe("1");
  });

  it("sends Ghost's mail through the platform's SMTP relay, the password from a Secret", () => {
    const withMail = resolvedConfig({
      platform: {
        domain: "creators.example",
        tls: { mode: "off" },
        mail: { from: "Creators <noreply@creators.example>", host: "smtp.mail.example", user: "postmaster" },
      },
      smtpPassword: "hunter2",
    });
    const env = one(render(withMail, "alice"), "Deployment", "ghost").spec?.template.spec?.containers[0]?.env ?? [];
    expect(env).toContainEqual({ name: "mail__options__port", value: "587" });
    expect(env).toContainEqual({ name: "mail__options__auth__pass", valueFrom: { secretKeyRef: { name: "ghost-mail", key: "smtp-password" } } });
    expect(JSON.stringify(env)).not.toContain("hunter2");
    expect(env.map((e) => e.name)).not.toContain("security__staffDeviceVerification");
    // Without a relay no sign-in code could arrive: device verification is off rather than a locked-out owner.
    const without = one(render(config, "alice"), "Deployment", "ghost").spec?.template.spec?.containers[0]?.env ?? [];
    expect(without).toContainEqual({ name: "security__staffDeviceVerification", value: "false" });
  });

  it("streams sqld's database to the backups bucket under the creator's id when continuous backups are on", () => {
    const creator = config.creators[0];
    const plan = config.plans.starter;
    if (!creator || !plan) throw new Error("fixture");
    const backups = { bucket: "creator-backups", endpoint: "https://us-east-1.linodeobjects.com", region: "us-east" };
    const input = { creator, plan, platform: config.platform, ingress: clusterFacts(config.cluster).ingress, storage: config.storage, images: resolveImages({}), monitoring: false };
    const sqld = (r: RenderedCreator) => one(r, "Deployment", "ghost").spec?.template.spec?.initContainers?.[0];
    const on = sqld(renderCreator({ ...input, backups }));
    expect(on?.args).toContain("--enable-bottomless-replication");
    expect(on?.env).toEqual(
      expect.arrayContaining([
        { name: "LIBSQL_BOTTOMLESS_BUCKET", value: "creator-backups" },
        { name: "LIBSQL_BOTTOMLESS_DATABASE_ID", value: "alice" },
        { name: "LIBSQL_BOTTOMLESS_AWS_SECRET_ACCESS_KEY", valueFrom: { secretKeyRef: { name: "backup-credentials", key: "secret-access-key" } } },
      ]),
    );
    const off = sqld(renderCreator(input));
    expect(off?.args).not.toContain("--enable-bottomless-replication");
    expect(off?.env).toBeUndefined();
  });

  it("uses the stack's storage class when it names one", () => {
    const local = resolvedConfig({ storage: { type: "local", className: "local-path" } });
    expect(one(render(local, "alice"), "PersistentVolumeClaim").spec?.storageClassName).toBe("local-path");
    expect(one(render(config, "alice"), "PersistentVolumeClaim").spec?.storageClassName).toBeUndefined();
  });
});
