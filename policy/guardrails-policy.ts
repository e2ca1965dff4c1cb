/** The guardrails as one mandatory resource policy over every Kubernetes object. */
import type { ResourceValidation, ResourceValidationPolicy } from "@pulumi/policy";
import { type Manifest, guardrailViolations } from "../infra/platform/guardrails.ts";

export const validateGuardrails: ResourceValidation = (args, reportViolation) => {
  if (!args.type.startsWith("kubernetes:")) return;
  for (const violation of guardrailViolations(args.props as Manifest)) reportViolation(violation);
};

export const guardrailsPolicy: ResourceValidationPolicy = {
  name: "creator-guardrails",
  description: "One Ghost per site, never autoscaled; no load balancer per creator; restricted containers.",
  enforcementLevel: "mandatory",
  validateResource: validateGuardrails,
};
