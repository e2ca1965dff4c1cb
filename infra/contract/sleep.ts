/**
 * What a creator's objects, the shared cache and the sleep engine agree on:
 * the headers Traefik adds to every request of a creator's site, the shared
 * cache's address, and the labels and names Sablier reads. Each is defined
 * here once.
 *
 * Sablier facts read in sablierapp/sablier v1.16.2:
 * - pkg/provider/kubernetes/parse_name.go: an instance is `kind_namespace_name_replicas`
 *   (`_` is the default `--provider.kubernetes.delimiter`);
 * - pkg/provider/kubernetes/instance_start.go: the replicas scaled up to come from the
 *   label `sablier.active.replicas` when the workload carries it, else from the name;
 * - pkg/provider/kubernetes/deployment_list.go: only workloads labelled `sablier.enable: "true"`
 *   are discovered (a label selector, so it must be a label, not an annotation).
 */
import { PLATFORM_NAMESPACES } from "./namespaces.ts";

/** Request headers Traefik sets (overwriting whatever a client sent) before the shared cache sees a request. */
export const CREATOR_HEADERS = {
  /** The creator id: names the Ghost Service to proxy to and the instance to wake. */
  id: "X-Creator-Id",
  /** The plan's `sleepAfter` (a Go duration); absent for plans that never sleep. */
  sleepAfter: "X-Creator-Sleep-After",
  /** `suspended` for a suspended creator: served a notice, never woken. */
  state: "X-Creator-State",
} as const;

/** nginx's name for a request header: `$http_` and the name in lower case with `_` for `-`. */
export const nginxHeaderVariable = (header: string): string => `$http_${header.toLowerCase().replaceAll("-", "_")}`;

/** The shared cache's Service: every creator's `front` ExternalName Service points here. */
export const SHARED_CACHE = { name: "shared-cache", namespace: PLATFORM_NAMESPACES.cache, port: 80 } as const;
export const sharedCacheHost = `${SHARED_CACHE.name}.${SHARED_CACHE.namespace}.svc.cluster.local`;

/** The sleep engine's Service. */
export const SLEEP_ENGINE = { name: "sablier", namespace: PLATFORM_NAMESPACES.sleep } as const;

export const SABLIER_LABELS = {
  enable: "sablier.enable",
  group: "sablier.group",
  activeReplicas: "sablier.active.replicas",
} as const;

/** Ghost runs one instance per site: the only replica count the sleep engine may scale up to. */
export const AWAKE_REPLICAS = 1;

/** The instance name Sablier's blocking API is given for a creator's Ghost Deployment. */
export const sleepInstanceName = (namespace: string, deployment: string): string => `deployment_${namespace}_${deployment}_${AWAKE_REPLICAS}`;
