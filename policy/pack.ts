/**
 * The guardrails as a Pulumi policy pack, checked by the engine on every
 * preview and update: `pulumi preview --policy-pack policy`. The rules
 * themselves live in infra/platform/guardrails.ts (the offline plan checks the
 * same rules); constructing the pack starts the policy server, so only index.js
 * (the entry the engine loads) imports this file.
 */
import { PolicyPack } from "@pulumi/policy";
import { guardrailsPolicy } from "./guardrails-policy.ts";

new PolicyPack("creator-platform-guardrails", { policies: [guardrailsPolicy] });
