/**
 * PlatformAddons: what one cluster runs for all its creators, registered from
 * the data in infra/platform (charts and versions, issuers, alerts). Each
 * add-on is installed only where the cluster does not already ship it. The
 * platform's own namespaces are created here with their role label
 * (infra/contract/namespaces.ts), the ops namespace among them.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ResolvedConfig } from "../infra/config/validate.ts";
import { PLATFORM_NAMESPACES, platformNamespace, roleOfNamespace } from "../infra/contract/namespaces.ts";
import { type AddonSpec, platformAddons } from "../infra/platform/addons.ts";
import { CLOUDFLARE_TOKEN_SECRET, clusterIssuers, wildcardCertificate } from "../infra/platform/certificates.ts";
import { clusterFacts } from "../infra/platform/cluster-facts.ts";
import { alertRules, platformPodMonitors, sqldPodMonitor } from "../infra/platform/monitoring.ts";
import { type PlatformFacts, dashboardConfigMap, grafanaAdminSecret, platformFactsRule } from "../infra/platform/dashboards.ts";
import { PRIORITY_CLASSES } from "../infra/platform/priorities.ts";
import { opsAccess } from "../infra/platform/ops-access.ts";
import { SQLD_ADMIN_KEY, SQLD_ADMIN_SECRET } from "../infra/contract/sqld.ts";
import { grafanaAdminPassword, sqldAdminKey } from "../infra/sqld-auth.ts";

export interface PlatformAddonsArgs {
  config: ResolvedConfig;
  kubernetes: k8s.Provider;
  /** The stack's cost report, the figures of the platform-facts rule Grafana's dashboard reads. */
  cost: PlatformFacts["cost"];
}

export class PlatformAddons extends pulumi.ComponentResource {
  /** Creator sites depend on these: their pods name a PriorityClass, their Middleware is Traefik's CRD. */
  public readonly forCreators: pulumi.Resource[];
  private readonly priorityClasses: pulumi.Resource[];
  public readonly installed: string[];
  /** Where the operations tools run and their read-only sqld tokens are kept. */
  public readonly opsNamespace: pulumi.Resource;

  constructor(name: string, args: PlatformAddonsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("creator-platform:platform:PlatformAddons", name, {}, opts);
    const { config } = args;
    const child = { parent: this, provider: args.kubernetes };
    const facts = clusterFacts(config.cluster);

    this.priorityClasses = PRIORITY_CLASSES.map(
      (pc) =>
        new k8s.scheduling.v1.PriorityClass(
          `${name}-priority-${pc.name}`,
          { metadata: { name: pc.name }, value: pc.value, globalDefault: false, description: pc.description },
          child,
        ),
    );

    const addons = platformAddons(config.cluster, config).filter((a) => a.installed);
    this.installed = addons.map((a) => a.name);
    // The platform's namespaces, each created once; others (kube-system, a manifest's own) are not ours to create.
    const namespaces = new Map<string, k8s.core.v1.Namespace>();
    const namespace = (ns: string): pulumi.Resource[] => {
      const role = roleOfNamespace(ns);
      if (!role) return [];
      const existing = namespaces.get(ns) ?? new k8s.core.v1.Namespace(`${name}-ns-${ns}`, platformNamespace(role), child);
      namespaces.set(ns, existing);
      return [existing];
    };
    const [ops] = namespace(PLATFORM_NAMESPACES.ops);
    if (!ops) throw new Error("the ops namespace is the platform's own");
    this.opsNamespace = ops;
    // The ops tools' identity, the one reader of the creators' read-only tokens in its namespace.
    const access = opsAccess();
    const afterOps = { ...child, dependsOn: [ops] };
    new k8s.core.v1.ServiceAccount(`${name}-ops-serviceaccount`, access.serviceAccount, afterOps);
    new k8s.rbac.v1.Role(`${name}-ops-role`, access.role, afterOps);
    new k8s.rbac.v1.RoleBinding(`${name}-ops-rolebinding`, access.roleBinding, afterOps);
    // Grafana's admin Secret exists before the monitoring chart, whose Grafana pod reads it.
    const grafana = config.monitoring.enabled && config.monitoring.grafana.enabled;
    const before = new Map<string, pulumi.Resource[]>();
    if (grafana) {
      if (!config.sqldKeySeed) throw new Error("sqldKeySeed: required (validation checks it first)");
      const password = pulumi.secret(config.sqldKeySeed).apply(grafanaAdminPassword);
      const admin = new k8s.core.v1.Secret(`${name}-grafana-admin`, grafanaAdminSecret(password), {
        ...child,
        dependsOn: namespace(PLATFORM_NAMESPACES.monitoring),
      });
      before.set("monitoring", [admin]);
    }
    const installed = new Map<string, pulumi.Resource>();
    for (const addon of addons) {
      const needs = addon.manifestCreatesNamespace ? [] : namespace(addon.namespace);
      installed.set(addon.name, this.install(name, addon, args.kubernetes, [...needs, ...(before.get(addon.name) ?? []), ...this.priorityClasses]));
    }
    const after = (...names: string[]) => names.flatMap((n) => installed.get(n) ?? []);
    this.forCreators = [...this.priorityClasses, ...after("traefik")];

    if (config.platform.tls.mode === "letsencrypt") {
      const dependsOn = after("cert-manager");
      if (config.platform.tls.wildcard && config.cloudflareApiToken) {
        dependsOn.push(
          new k8s.core.v1.Secret(
            `${name}-cloudflare-token`,
            {
              metadata: { name: CLOUDFLARE_TOKEN_SECRET.name, namespace: PLATFORM_NAMESPACES["cert-manager"] },
              stringData: { [CLOUDFLARE_TOKEN_SECRET.key]: pulumi.secret(config.cloudflareApiToken) },
            },
            { ...child, dependsOn: namespace(PLATFORM_NAMESPACES["cert-manager"]) },
          ),
        );
      }
      const issuers = clusterIssuers(config.platform.tls, facts.ingress.className).map(
        (issuer) => new k8s.apiextensions.CustomResource(`${name}-issuer-${issuer.metadata.name}`, issuer, { ...child, dependsOn }),
      );
      if (config.platform.tls.wildcard) {
        for (const object of wildcardCertificate(config.platform, facts.ingress.namespace)) {
          new k8s.apiextensions.CustomResource(`${name}-wildcard-${object.kind.toLowerCase()}`, object, {
            ...child,
            dependsOn: [...issuers, ...after("traefik")],
          });
        }
      }
    }

    if (config.monitoring.enabled) {
      const scrape = {
        traefikNamespace: installed.has("traefik") ? facts.ingress.namespace : undefined,
        certManagerNamespace: installed.has("cert-manager") ? PLATFORM_NAMESPACES["cert-manager"] : undefined,
      };
      if (!config.sqldKeySeed) throw new Error("sqldKeySeed: required (validation checks it first)");
      const adminKey = new k8s.core.v1.Secret(
        `${name}-sqld-admin`,
        {
          metadata: { name: SQLD_ADMIN_SECRET, namespace: PLATFORM_NAMESPACES.monitoring },
          stringData: { [SQLD_ADMIN_KEY]: pulumi.secret(config.sqldKeySeed).apply(sqldAdminKey) },
        },
        { ...child, dependsOn: namespace(PLATFORM_NAMESPACES.monitoring) },
      );
      for (const object of [alertRules(), sqldPodMonitor(), ...platformPodMonitors(scrape)]) {
        new k8s.apiextensions.CustomResource(`${name}-${object.kind.toLowerCase()}-${object.metadata.name}`, object, {
          ...child,
          dependsOn: [...namespace(object.metadata.namespace), ...after("monitoring"), adminKey],
        });
      }
    }
    if (grafana) {
      // The dashboard for Grafana's sidecar, and the stack's figures its platform panels read.
      new k8s.core.v1.ConfigMap(`${name}-grafana-dashboards`, dashboardConfigMap(), { ...child, dependsOn: namespace(PLATFORM_NAMESPACES.monitoring) });
      const facts = platformFactsRule({ creators: config.creators, cost: args.cost });
      new k8s.apiextensions.CustomResource(`${name}-${facts.kind.toLowerCase()}-${facts.metadata.name}`, facts, {
        ...child,
        dependsOn: [...namespace(facts.metadata.namespace), ...after("monitoring")],
      });
    }
    this.registerOutputs({ installed: this.installed });
  }

  private install(name: string, addon: AddonSpec, provider: k8s.Provider, dependsOn: pulumi.Resource[]): pulumi.Resource {
    const opts = { parent: this, provider, dependsOn };
    if (addon.chart) {
      return new k8s.helm.v4.Chart(
        `${name}-${addon.name}`,
        {
          chart: addon.chart.name,
          version: addon.chart.version,
          repositoryOpts: { repo: addon.chart.repo },
          namespace: addon.namespace,
          values: addon.values,
          ...(addon.valuesYaml ? { valueYamlFiles: [new pulumi.asset.StringAsset(addon.valuesYaml)] } : {}),
        },
        opts,
      );
    }
    if (addon.objects) return new k8s.yaml.v2.ConfigGroup(`${name}-${addon.name}`, { objs: addon.objects }, opts);
    return new k8s.yaml.v2.ConfigGroup(`${name}-${addon.name}`, { files: addon.manifest ? [addon.manifest] : [] }, opts);
  }
}
