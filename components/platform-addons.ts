/**
 * PlatformAddons: what one cluster runs for all its creators, registered from
 * the data in infra/platform (charts and versions, issuers, alerts). Each
 * add-on is installed only where the cluster does not already ship it.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ResolvedConfig } from "../infra/config/validate.ts";
import { type AddonSpec, platformAddons } from "../infra/platform/addons.ts";
import { CLOUDFLARE_TOKEN_SECRET, clusterIssuers, wildcardCertificate } from "../infra/platform/certificates.ts";
import { clusterFacts } from "../infra/platform/cluster-facts.ts";
import { alertRules, sqldPodMonitor } from "../infra/platform/monitoring.ts";
import { PRIORITY_CLASSES } from "../infra/platform/priorities.ts";

export interface PlatformAddonsArgs {
  config: ResolvedConfig;
  kubernetes: k8s.Provider;
}

/** Namespaces the cluster always has; every other add-on namespace is created here. */
const BUILT_IN_NAMESPACES = new Set(["kube-system", "default"]);

export class PlatformAddons extends pulumi.ComponentResource {
  /** Creator sites depend on these: their pods name a PriorityClass. */
  public readonly priorityClasses: pulumi.Resource[];
  public readonly installed: string[];

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
    const namespaces = new Map<string, k8s.core.v1.Namespace>();
    const namespace = (ns: string): pulumi.Resource[] => {
      if (BUILT_IN_NAMESPACES.has(ns)) return [];
      const existing = namespaces.get(ns) ?? new k8s.core.v1.Namespace(`${name}-ns-${ns}`, { metadata: { name: ns } }, child);
      namespaces.set(ns, existing);
      return [existing];
    };
    const installed = new Map<string, pulumi.Resource>();
    for (const addon of addons) {
      installed.set(addon.name, this.install(name, addon, args.kubernetes, [...namespace(addon.namespace), ...this.priorityClasses]));
    }
    const after = (...names: string[]) => names.flatMap((n) => installed.get(n) ?? []);

    if (config.platform.tls.mode === "letsencrypt") {
      const dependsOn = after("cert-manager");
      if (config.platform.tls.wildcard && config.cloudflareApiToken) {
        dependsOn.push(
          new k8s.core.v1.Secret(
            `${name}-cloudflare-token`,
            {
              metadata: { name: CLOUDFLARE_TOKEN_SECRET.name, namespace: "cert-manager" },
              stringData: { [CLOUDFLARE_TOKEN_SECRET.key]: pulumi.secret(config.cloudflareApiToken) },
            },
            { ...child, dependsOn: namespace("cert-manager") },
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
      for (const object of [alertRules(), sqldPodMonitor()]) {
        new k8s.apiextensions.CustomResource(`${name}-${object.kind.toLowerCase()}-${object.metadata.name}`, object, {
          ...child,
          dependsOn: [...namespace(object.metadata.namespace), ...after("monitoring")],
        });
      }
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
        },
        opts,
      );
    }
    return new k8s.yaml.v2.ConfigGroup(
      `${name}-${addon.name}`,
      { files: addon.manifest ? [addon.manifest] : [] },
      opts,
    );
  }
}
