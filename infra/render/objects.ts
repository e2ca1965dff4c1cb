/**
 * The Kubernetes objects the renderers produce, typed by kubernetes-models so a
 * misspelt field fails the type check. Tests also validate every rendered
 * object against the API's OpenAPI schemas through the same package.
 */
import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IIngress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { ILimitRange } from "kubernetes-models/v1/LimitRange";
import type { INamespace } from "kubernetes-models/v1/Namespace";
import type { IPersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import type { IResourceQuota } from "kubernetes-models/v1/ResourceQuota";
import type { ISecret } from "kubernetes-models/v1/Secret";
import type { IService } from "kubernetes-models/v1/Service";
import type { IServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { IClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import type { IClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";

/** Traefik's Middleware (traefik.io/v1alpha1), with the one part the platform uses: request headers. */
export interface ITraefikMiddleware {
  apiVersion: "traefik.io/v1alpha1";
  kind: "Middleware";
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { headers: { customRequestHeaders: Record<string, string> } };
}

export type { IContainer } from "kubernetes-models/v1/Container";
export type { IProbe } from "kubernetes-models/v1/Probe";
export type {
  IConfigMap,
  IDeployment,
  IHorizontalPodAutoscaler,
  IIngress,
  ILimitRange,
  INamespace,
  INetworkPolicy,
  IPersistentVolumeClaim,
  IResourceQuota,
  ISecret,
  IService,
  IServiceAccount,
  IPodDisruptionBudget,
  IClusterRole,
  IClusterRoleBinding,
};

/** Kinds whose Pods read their namespace's other objects (ServiceAccount, Secrets, ConfigMaps): created after them. */
export const WORKLOAD_KINDS: ReadonlySet<string> = new Set(["Deployment", "CronJob", "HorizontalPodAutoscaler"]);

/** What a workload's Pods read or its controller needs before they are created: a ReplicaSet without its ServiceAccount is refused. */
export const READ_BY_WORKLOADS: ReadonlySet<string> = new Set(["ServiceAccount", "Secret", "ConfigMap", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"]);

export type KubeObject =
  | INamespace
  | IServiceAccount
  | IResourceQuota
  | ILimitRange
  | IPersistentVolumeClaim
  | ISecret
  | IConfigMap
  | IDeployment
  | IService
  | IIngress
  | INetworkPolicy
  | IHorizontalPodAutoscaler
  | IPodDisruptionBudget
  | IClusterRole
  | IClusterRoleBinding
  | ITraefikMiddleware;
