/**
 * Labels on every object a creator owns. `creator` and `app.kubernetes.io/instance`
 * carry the creator id so cost and metrics aggregate per creator; selectors use
 * only the labels that never change for the life of an object (a Deployment's
 * selector is immutable, so the plan is a label but never part of a selector).
 */
import { CREATOR_NAMESPACE_PREFIX } from "../contract/namespaces.ts";

export type Component = "namespace" | "ghost" | "sqld" | "ingress" | "network" | "quota" | "storage";

export interface Owner {
  id: string;
  plan: string;
}

export function selectorLabels(creatorId: string, component: Component): Record<string, string> {
  return {
    "app.kubernetes.io/instance": creatorId,
    "app.kubernetes.io/component": component,
  };
}

export function creatorLabels(owner: Owner, component: Component): Record<string, string> {
  return {
    "app.kubernetes.io/name": "ghost",
    ...selectorLabels(owner.id, component),
    "app.kubernetes.io/part-of": "creator-platform",
    "app.kubernetes.io/managed-by": "pulumi",
    creator: owner.id,
    "creator-platform/plan": owner.plan,
  };
}

export const namespaceOf = (creatorId: string): string => `${CREATOR_NAMESPACE_PREFIX}${creatorId}`;
