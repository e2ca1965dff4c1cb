/**
 * Validates a stack's configuration and reports every problem at once, each
 * with its path (`creators[3].domains[0]`) and reason, before any resource is
 * registered. Schema problems come from zod; the rules that span several
 * fields (duplicates, unknown plans, limits below requests) are checked here,
 * on the raw input, so they are reported even when other parts are malformed.
 */
import type { z } from "zod";
import { BUILT_IN_PLANS } from "./plans.ts";
import { bytes, cpuMillis } from "./quantity.ts";
import { type Plan, type StackConfig, stackConfigSchema } from "./schema.ts";

/** How an operator sets the seed of the creators' sqld keys. */
export const SQLD_KEY_SEED_COMMAND = 'pulumi config set --secret sqldKeySeed "$(openssl rand -base64 32)"';

export interface Problem {
  path: string;
  message: string;
  /** The line in the stack file, when the problem came from one. */
  line?: number;
}

/** Problems with the stack-file line of each path, where `locate` knows it. */
export function withLines(problems: Problem[], locate: ((path: string) => number | undefined) | undefined): Problem[] {
  return problems.map((p) => {
    const line = locate?.(p.path);
    return line ? { ...p, line } : p;
  });
}

/** A stack configuration with the built-in plans merged in. */
export interface ResolvedConfig extends StackConfig {
  plans: Record<string, Plan>;
}

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: Problem[],
  ) {
    super(
      `${source}: ${problems.length} problem${problems.length === 1 ? "" : "s"} in the stack configuration:\n` +
        problems.map((p) => `  - ${p.path}: ${p.message}${p.line ? ` (line ${p.line})` : ""}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out || "(root)";
}

/** The bad value, short, as the user wrote it. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** zod's wording in the words of someone editing a stack file, with the value that was there. */
function schemaMessage(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  if (issue.code === "invalid_type") {
    if (input === undefined) return "required";
    if (issue.expected === "string" && (typeof input === "number" || typeof input === "boolean")) {
      return `must be text, got the ${typeof input} ${shown(input)}: quote it ("${String(input)}")`;
    }
    return `must be ${issue.expected === "object" ? "a map of keys" : issue.expected === "array" ? "a list" : `a ${issue.expected}`}, got ${shown(input)}`;
  }
  return input === undefined || typeof input === "object" ? issue.message : `${issue.message} (got ${shown(input)})`;
}

function schemaProblems(error: z.ZodError): Problem[] {
  return error.issues.flatMap((issue): Problem[] => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        path: formatPath([...issue.path, key]),
        message: "unknown key (check its spelling; unknown keys are not ignored)",
      }));
    }
    return [{ path: formatPath(issue.path), message: schemaMessage(issue) }];
  });
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Duplicate ids, duplicate hosts and unknown plans, read from the raw creators list. */
function creatorProblems(raw: Record<string, unknown>, planNames: Set<string>): Problem[] {
  const problems: Problem[] = [];
  const creators = Array.isArray(raw.creators) ? raw.creators : [];
  const platformDomain = isRecord(raw.platform) && typeof raw.platform.domain === "string" ? raw.platform.domain : "";
  const ids = new Map<string, number>();
  const hosts = new Map<string, string>();
  const claimHost = (host: string, path: string) => {
    const owner = hosts.get(host);
    if (owner === undefined) hosts.set(host, path);
    else problems.push({ path, message: `duplicate host ${host}: already used by ${owner}` });
  };
  creators.forEach((creator, i) => {
    if (!isRecord(creator)) return;
    if (typeof creator.id === "string") {
      const first = ids.get(creator.id);
      if (first !== undefined) {
        problems.push({ path: `creators[${i}].id`, message: `duplicate id "${creator.id}": already used by creators[${first}]` });
      } else {
        ids.set(creator.id, i);
        if (platformDomain) claimHost(`${creator.id}.${platformDomain}`, `creators[${i}].id`);
      }
    }
    if (typeof creator.plan === "string" && !planNames.has(creator.plan)) {
      problems.push({
        path: `creators[${i}].plan`,
        message: `unknown plan "${creator.plan}" (defined: ${[...planNames].sort().join(", ")})`,
      });
    }
    if (Array.isArray(creator.domains)) {
      creator.domains.forEach((domain, j) => {
        if (typeof domain !== "string") return;
        const path = `creators[${i}].domains[${j}]`;
        if (platformDomain && (domain === platformDomain || domain.endsWith(`.${platformDomain}`))) {
          problems.push({ path, message: `custom domains must be outside the platform domain ${platformDomain}` });
          return;
        }
        claimHost(domain, path);
      });
    }
  });
  return problems;
}

/** `rollout`: an image to move to, and ids that are creators of this stack, each once. */
function rolloutProblems(raw: Record<string, unknown>): Problem[] {
  if (!isRecord(raw.rollout)) return [];
  const problems: Problem[] = [];
  const { rollout } = raw;
  if (rollout.ghost === undefined && rollout.sqld === undefined) {
    problems.push({ path: "rollout", message: "names no image: set rollout.ghost, rollout.sqld or both (or remove rollout: no upgrade is under way)" });
  }
  if (!Array.isArray(rollout.creators)) return problems;
  const creators = Array.isArray(raw.creators) ? raw.creators : [];
  const known = new Set(creators.flatMap((c) => (isRecord(c) && typeof c.id === "string" ? [c.id] : [])));
  const seen = new Map<string, number>();
  rollout.creators.forEach((id, i) => {
    if (typeof id !== "string") return;
    const path = `rollout.creators[${i}]`;
    const first = seen.get(id);
    if (first !== undefined) problems.push({ path, message: `"${id}" is listed twice: already rollout.creators[${first}]` });
    else if (!known.has(id)) problems.push({ path, message: `"${id}" is not a creator of this stack: list only ids from creators (a typo would leave that creator on the old image)` });
    seen.set(id, first ?? i);
  });
  return problems;
}

function atLeast(problems: Problem[], path: string, request: number, limit: number) {
  if (limit < request) problems.push({ path, message: "limit is below the request" });
}

function planProblems(plans: Record<string, Plan>): Problem[] {
  const problems: Problem[] = [];
  for (const [name, plan] of Object.entries(plans)) {
    const containers = { ghost: plan.ghost, sqld: plan.sqld };
    for (const [container, resources] of Object.entries(containers)) {
      const base = `plans.${name}.${container}.limits`;
      atLeast(problems, `${base}.cpu`, cpuMillis(resources.requests.cpu), cpuMillis(resources.limits.cpu));
      atLeast(problems, `${base}.memory`, bytes(resources.requests.memory), bytes(resources.limits.memory));
    }
    if (bytes(plan.ghost.limits.memory) < (plan.ghost.heapMb + 64) * 2 ** 20) {
      problems.push({
        path: `plans.${name}.ghost.heapMb`,
        message: "leaves less than 64Mi of the memory limit for Node's code, buffers and native memory",
      });
    }
  }
  return problems;
}

function clusterProblems(config: StackConfig): Problem[] {
  const problems: Problem[] = [];
  if (config.cluster.provider !== "existing") {
    const seen = new Set<string>();
    config.cluster.nodePools.forEach((pool, i) => {
      const path = `cluster.nodePools[${i}]`;
      if (seen.has(pool.name)) problems.push({ path: `${path}.name`, message: `duplicate pool name "${pool.name}"` });
      seen.add(pool.name);
      if (pool.count !== undefined && pool.autoscaler) {
        problems.push({ path, message: "set count or autoscaler, not both" });
      }
      if (pool.autoscaler && pool.autoscaler.min > pool.autoscaler.max) {
        problems.push({ path: `${path}.autoscaler.max`, message: "must be at least autoscaler.min" });
      }
    });
  }
  if (config.cluster.provider === "civo" && config.cluster.apiAllowedCidrs !== undefined) {
    problems.push({
      path: "cluster.apiAllowedCidrs",
      message:
        "cannot be enforced on Civo: @pulumi/civo 1.0.7 has no way to attach a firewall to a cluster (KubernetesCluster takes no firewallId; " +
        "terraform-provider-civo v0.10.10, which it bridges, sends none), so the API port would stay open to the world whatever this says. " +
        "Remove it, and restrict port 6443 with the Civo CLI or dashboard (README: Deploy to Civo)",
    });
  }
  if (!config.sqldKeySeed) {
    problems.push({ path: "sqldKeySeed", message: `required: ${SQLD_KEY_SEED_COMMAND}` });
  }
  if (config.images.pullSecret && !config.imagePullPassword) {
    problems.push({ path: "imagePullPassword", message: "required with images.pullSecret (pulumi config set --secret imagePullPassword …)" });
  }
  if (config.platform.mail && !config.smtpPassword) {
    problems.push({ path: "smtpPassword", message: "required with platform.mail (pulumi config set --secret smtpPassword …)" });
  }
  if (config.platform.tls.wildcard && !config.cloudflareApiToken) {
    problems.push({
      path: "cloudflareApiToken",
      message: "required for the wildcard certificate (pulumi config set --secret cloudflareApiToken …)",
    });
  }
  if (config.platform.tls.mode === "letsencrypt" && !config.platform.tls.email) {
    problems.push({ path: "platform.tls.email", message: "required when tls.mode is letsencrypt (the ACME account)" });
  }
  return problems;
}

/** Validates the keys of one stack (without the `creator-platform:` prefix). */
export function validateStackConfig(raw: Record<string, unknown>, source: string, locate?: (path: string) => number | undefined): ResolvedConfig {
  const parsed = stackConfigSchema.safeParse(raw, { reportInput: true });
  const stackPlans = isRecord(raw.plans) ? Object.keys(raw.plans) : [];
  const planNames = new Set([...Object.keys(BUILT_IN_PLANS), ...stackPlans]);
  const problems = [...(parsed.success ? [] : schemaProblems(parsed.error)), ...creatorProblems(raw, planNames), ...rolloutProblems(raw)];
  if (parsed.success) {
    problems.push(...planProblems(parsed.data.plans), ...clusterProblems(parsed.data));
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(source, withLines(problems, locate));
  return { ...parsed.data, plans: { ...BUILT_IN_PLANS, ...parsed.data.plans } };
}
