/**
 * CreatorSite: one creator's Ghost site, registered from the objects that
 * infra/render/creator.ts decides. This component adds what only Pulumi can:
 * the creator's sqld credentials as Pulumi secrets (derived in
 * infra/sqld-auth.ts), and how each object is registered (ordering, what is
 * retained on delete, which objects Pulumi should not wait on).
 *
 * Child names are `<creator id>.<what>`: a dot cannot occur in an id, so no two
 * creators' children can ever share a name, and tools can tell whose a child is.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type CreatorInput, type CreatorSecret, RETAINED_KINDS, creatorSecrets, opsTokenSecret, renderCreator } from "../infra/render/creator.ts";
import { type KubeObject, WORKLOAD_KINDS } from "../infra/render/objects.ts";
import { dockerConfigJson } from "../infra/images.ts";
import { CREATOR_SITE_TYPE } from "../infra/contract/names.ts";
import { signSqldToken, sqldAdminKey, sqldKeyPair } from "../infra/sqld-auth.ts";

export interface CreatorSiteArgs extends CreatorInput {
  /** The platform's ops namespace (PlatformAddons): the creator's read-only token for the ops tools lives there. */
  opsNamespace: pulumi.Resource;
  /** The stack secret the creator's sqld key pair is derived from (infra/sqld-auth.ts). */
  sqldKeySeed: string;
  /** The platform's SMTP password, when platform.mail is set. */
  smtpPassword?: string;
  /** A private registry's login, when images.pullSecret is set. */
  imagePull?: { registry: string; username: string; password: string };
  /** The key for `backups` (the bucket of continuous backups). */
  backupCredentials?: { accessKeyId: pulumi.Input<string>; secretAccessKey: pulumi.Input<string> };
}

type Registrar = new (
  name: string,
  args: Record<string, unknown>,
  opts?: pulumi.CustomResourceOptions,
) => pulumi.CustomResource;

/**
 * The typed Pulumi class for each kind a creator uses. The rendered objects are
 * checked against kubernetes-models' types; the Pulumi classes take the same
 * shapes as inputs, so the cast only widens the constructor's argument type.
 */
const REGISTRARS: Record<string, Registrar> = {
  "v1/Namespace": k8s.core.v1.Namespace as unknown as Registrar,
  "v1/ServiceAccount": k8s.core.v1.ServiceAccount as unknown as Registrar,
  "v1/ResourceQuota": k8s.core.v1.ResourceQuota as unknown as Registrar,
  "v1/LimitRange": k8s.core.v1.LimitRange as unknown as Registrar,
  "v1/PersistentVolumeClaim": k8s.core.v1.PersistentVolumeClaim as unknown as Registrar,
  "v1/Secret": k8s.core.v1.Secret as unknown as Registrar,
  "v1/ConfigMap": k8s.core.v1.ConfigMap as unknown as Registrar,
  "v1/Service": k8s.core.v1.Service as unknown as Registrar,
  "apps/v1/Deployment": k8s.apps.v1.Deployment as unknown as Registrar,
  "networking.k8s.io/v1/Ingress": k8s.networking.v1.Ingress as unknown as Registrar,
  "networking.k8s.io/v1/NetworkPolicy": k8s.networking.v1.NetworkPolicy as unknown as Registrar,
  // Traefik's CRD (installed with Traefik, before any creator): the creator's request headers.
  "traefik.io/v1alpha1/Middleware": k8s.apiextensions.CustomResource as unknown as Registrar,
};

/**
 * A creator's volume keeps the size it was created with. The API server refuses
 * to shrink a claim ("field can not be less than previous value") and to grow
 * one whose StorageClass does not allow expansion (local-path's does not), so a
 * plan change would fail `pulumi up` half-way; growing a volume is an explicit
 * operation (README: change a creator's plan).
 */
const IGNORED_CHANGES: Record<string, string[]> = { PersistentVolumeClaim: ["spec.resources.requests.storage"] };
/**
 * Kinds Pulumi should not wait on. The Deployment's rollout already proves the
 * site is up; a Service of a suspended site never gets endpoints, and an
 * Ingress's status depends on the controller publishing it.
 */
const SKIP_AWAIT = new Set(["Service", "Ingress"]);
/**
 * Kinds whose Pods read the namespace's other objects. They are created after
 * the ServiceAccount, Secrets, ConfigMaps, quota and LimitRange: a ReplicaSet
 * whose ServiceAccount does not exist yet is refused by the API server
 * (FailedCreate, "error looking up service account"), and a Pod admitted before
 * the LimitRange misses its defaults. Not after the volume claim: on a
 * WaitForFirstConsumer class it binds only once a Pod uses it.
 */

export class CreatorSite extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  public readonly urls: pulumi.Output<string[]>;
  public readonly siteUrl: pulumi.Output<string>;
  public readonly serviceName: pulumi.Output<string>;

  constructor(name: string, args: CreatorSiteArgs, opts: pulumi.ComponentResourceOptions) {
    // Type tokens are creator-platform:<module>:<Type>; this one was creator-platform:index:CreatorSite,
    // and the alias keeps every existing site (and all its children) from being replaced.
    super(CREATOR_SITE_TYPE, name, {}, { ...opts, aliases: [...(opts.aliases ?? []), { type: "creator-platform:index:CreatorSite" }] });
    const rendered = renderCreator(args);

    const key = pulumi.secret(args.sqldKeySeed).apply((seed) => sqldKeyPair(seed, args.creator.id, args.creator.sqldKeyGeneration));
    const secrets = creatorSecrets(args.creator, {
      sqld: {
        publicKeyPem: key.apply((k) => k.publicKeyPem),
        token: key.apply((k) => signSqldToken(k.privateKeyPem, { access: "rw" })),
      },
      mailPassword: args.platform.mail && args.smtpPassword ? pulumi.secret(args.smtpPassword) : undefined,
      imagePull: args.imagePull
        ? pulumi.secret(dockerConfigJson(args.imagePull.registry, args.imagePull.username, args.imagePull.password))
        : undefined,
      adminKey: args.monitoring ? pulumi.secret(args.sqldKeySeed).apply(sqldAdminKey) : undefined,
      backupKey:
        args.backups && args.backupCredentials
          ? {
              accessKeyId: pulumi.secret(args.backupCredentials.accessKeyId),
              secretAccessKey: pulumi.secret(args.backupCredentials.secretAccessKey),
            }
          : undefined,
    });

    const [namespaceObject, ...namespaced] = rendered.objects;
    if (!namespaceObject) throw new Error(`${name}: the renderer returned no objects`);
    const namespace = this.register(name, namespaceObject, []);
    const objects = [...namespaced, ...secrets];
    const supporting: pulumi.Resource[] = [];
    for (const object of objects.filter((o) => !WORKLOAD_KINDS.has(o.kind))) {
      const resource = this.register(name, object, [namespace]);
      if (object.kind !== "PersistentVolumeClaim") supporting.push(resource);
    }
    for (const object of objects.filter((o) => WORKLOAD_KINDS.has(o.kind))) this.register(name, object, [namespace, ...supporting]);
    // Read-only: the operations tools never hold a token that can write a creator's database.
    this.register(name, opsTokenSecret(args.creator, key.apply((k) => signSqldToken(k.privateKeyPem, { access: "ro" }))), [args.opsNamespace]);

    this.namespace = pulumi.output(rendered.namespace);
    this.urls = pulumi.output(rendered.urls);
    this.siteUrl = pulumi.output(rendered.siteUrl);
    this.serviceName = pulumi.output(rendered.serviceName);
    this.registerOutputs({
      namespace: this.namespace,
      urls: this.urls,
      siteUrl: this.siteUrl,
      serviceName: this.serviceName,
    });
  }

  private register(
    prefix: string,
    object: KubeObject | CreatorSecret<pulumi.Output<string>>,
    dependsOn: pulumi.Resource[],
  ): pulumi.CustomResource {
    const Registrar = REGISTRARS[`${object.apiVersion}/${object.kind}`];
    const objectName = object.metadata?.name;
    if (!Registrar || !objectName) throw new Error(`CreatorSite cannot register ${object.apiVersion}/${object.kind} ${objectName ?? "(unnamed)"}`);
    const metadata = SKIP_AWAIT.has(object.kind)
      ? { ...object.metadata, annotations: { ...object.metadata?.annotations, "pulumi.com/skipAwait": "true" } }
      : object.metadata;
    return new Registrar(
      `${prefix}.${object.kind.toLowerCase()}.${objectName}`,
      { ...object, metadata },
      {
        parent: this,
        dependsOn,
        retainOnDelete: RETAINED_KINDS.has(object.kind),
        ignoreChanges: IGNORED_CHANGES[object.kind],
        customTimeouts: object.kind === "Deployment" ? { create: "15m", update: "15m" } : undefined,
      },
    );
  }
}
