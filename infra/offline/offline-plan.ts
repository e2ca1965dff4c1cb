/**
 * The offline plan: the real program (infra/index.ts) run under Pulumi's mock
 * runtime, with no CLI, credentials or network, reporting what it would create.
 */
import { CREATOR_SITE_TYPE } from "../contract/names.ts";
import * as pulumi from "@pulumi/pulumi";
import { loadStackFile } from "../config/stack-file.ts";
import { ConfigError, SQLD_KEY_SEED_COMMAND } from "../config/validate.ts";
import { GHOST_IMAGE, PUBLISHED_GHOST_IMAGE } from "../ghost/contract.ts";
import { guardrailViolations } from "../platform/guardrails.ts";
import { MIN_KUBERNETES_MINOR } from "../platform/kubernetes-version.ts";
import { type MockEngine, type Registration, installMocks, mapSecrets, resolveOutputs, waitForRegistrations } from "./mocks.ts";

export { CREATOR_SITE_TYPE };
export const REDACTED = "REDACTED-by-offline-plan";

export interface KubeManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface PlanResult {
  stack: string;
  /** The stack file the plan read. */
  file: string;
  provider: string;
  /** Creators with a site in this plan (retired creators have none). */
  creators: number;
  /** Registered resources by type token. */
  resources: Record<string, number>;
  perCreator: Record<string, { plan: string; state: string; resources: number; urls: string[] }>;
  outputs: Record<string, unknown>;
  /** What the offline plan cannot show, in plain words. */
  notCovered: string[];
  /** Objects that break the platform's guardrails (infra/platform/guardrails.ts); the plan fails if any. */
  violations: string[];
  registrations: Registration[];
}

/** Child resources are named `<creator id>.<what>`; ids cannot contain a dot. */
export function creatorOf(registration: Registration): string | undefined {
  if (registration.type === CREATOR_SITE_TYPE) return registration.name;
  const dot = registration.name.indexOf(".");
  return dot > 0 ? registration.name.slice(0, dot) : undefined;
}

/** Every leaf of a secret value replaced, its shape kept (a Secret's stringData stays a map). */
function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v)]));
  }
  return REDACTED;
}

const isManifest = (o: unknown): o is Record<string, unknown> =>
  typeof o === "object" && o !== null && typeof (o as { apiVersion?: unknown }).apiVersion === "string" && typeof (o as { kind?: unknown }).kind === "string";

/**
 * The Kubernetes objects in a plan, secrets redacted: what `--out` writes. A
 * ConfigGroup of objects the platform renders itself (`objs`: the shared cache,
 * the sleep engine) is known offline, so its objects are listed too.
 */
export function kubeManifests(registrations: Registration[]): KubeManifest[] {
  return registrations
    .filter((r) => r.type.startsWith("kubernetes:"))
    .flatMap((r) => (r.type === "kubernetes:yaml/v2:ConfigGroup" && Array.isArray(r.inputs.objs) ? (r.inputs.objs as unknown[]) : [r.inputs]))
    .filter(isManifest)
    .map((o) => mapSecrets(o, redact) as KubeManifest);
}

/** A ConfigGroup of remote manifests (`files`), which only the provider expands at deploy time. */
const isRemoteGroup = (r: Registration): boolean => r.type === "kubernetes:yaml/v2:ConfigGroup" && r.inputs.files !== undefined;

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * What a Helm chart or remote manifest will be given at deploy time, as the
 * program registered it: enough to run `helm template` on it anywhere with network.
 */
export interface RemoteInstall {
  release: string;
  chart?: string;
  repository?: string;
  version?: string;
  namespace?: string;
  values?: unknown;
  /** Values files (YAML text), applied after `values`. */
  valueYamlFiles?: string[];
  /** Remote manifests of a ConfigGroup. */
  files?: unknown;
}

/** A StringAsset's text (the SDK keeps it as a promise). */
const assetText = async (asset: unknown): Promise<string> => String((await (asset as { text?: unknown } | undefined)?.text) ?? "");

export async function remoteInstalls(registrations: Registration[]): Promise<RemoteInstall[]> {
  const installs = registrations.map(async (r): Promise<RemoteInstall[]> => {
    const inputs = r.inputs as Record<string, unknown>;
    if (isRemoteGroup(r)) return [{ release: r.name, files: inputs.files }];
    if (r.type !== "kubernetes:helm.sh/v4:Chart") return [];
    const yamlFiles = Array.isArray(inputs.valueYamlFiles) ? await Promise.all(inputs.valueYamlFiles.map(assetText)) : [];
    return [
      {
        release: r.name,
        chart: String(inputs.chart),
        repository: String((inputs.repositoryOpts as { repo?: unknown } | undefined)?.repo ?? ""),
        version: String(inputs.version),
        namespace: String(inputs.namespace),
        values: inputs.values ?? {},
        ...(yamlFiles.length > 0 ? { valueYamlFiles: yamlFiles } : {}),
      },
    ];
  });
  return (await Promise.all(installs)).flat();
}

/** What the cluster target says it cannot do (e.g. the old Civo provider's gaps). */
function clusterLimitations(outputs: Record<string, unknown>): string[] {
  const cluster = outputs.cluster as { limitations?: unknown } | undefined;
  return Array.isArray(cluster?.limitations) ? cluster.limitations.map(String) : [];
}

/** Objects the Kubernetes provider expands at deploy time: the mock runtime registers only the component. */
function remoteComponents(registrations: Registration[]): string[] {
  return registrations
    .filter((r) => r.type === "kubernetes:helm.sh/v4:Chart" || isRemoteGroup(r))
    .map((r) => {
      const chart = typeof r.inputs.chart === "string" ? ` ${r.inputs.chart}` : "";
      const version = typeof r.inputs.version === "string" ? ` ${r.inputs.version}` : "";
      return `${r.name}:${chart}${version} is expanded by the Kubernetes provider at deploy time; its objects are not listed offline`;
    });
}

/**
 * The program refused the stack (bad config, capacity, cost ceiling): under
 * the mock runtime it arrives as Pulumi's RunError, as `pulumi preview` shows it.
 */
export function refusalMessage(error: unknown): string | undefined {
  if (error instanceof ConfigError || pulumi.RunError.isInstance(error)) return (error as Error).message;
  return undefined;
}

export interface PlanOptions {
  /** Called as each creator's pod spec is registered (the last of a creator's objects to resolve). */
  onCreatorRegistered?: () => void;
}

/**
 * Runs the plan for one stack file. Validates first and throws ConfigError
 * before anything is registered. Pulumi's runtime is process-global: one plan
 * per process.
 */
export async function runPlan(stackFile: string, options: PlanOptions = {}): Promise<PlanResult> {
  // The SDK records a stack trace for every promise and resource; with source maps on (tsx
  // turns them on) each trace is mapped back to TypeScript, which was most of a plan's time.
  process.setSourceMapsEnabled(false);
  const { config, file } = loadStackFile(stackFile);
  const engine: MockEngine = await installMocks({ stack: file.stack, config: file.config });
  if (options.onCreatorRegistered) engine.onRegister = (r) => r.type === "kubernetes:apps/v1:Deployment" && r.name.endsWith(".deployment.ghost") && options.onCreatorRegistered?.();
  // The SDK also stamps every promise with `new Error().stack` for its leak reports. With
  // thousands of resources, capturing and keeping those traces dominated time and memory, so
  // the program runs with them off; its modules are loaded first (loading needs the traces).
  const { deployChecks, registrationWaves } = await import("../program.ts");
  registrationWaves.drain = waitForRegistrations;
  deployChecks.clusterVersion = undefined;
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let outputs: Record<string, unknown>;
  try {
    const program: Record<string, unknown> = await import("../index.ts");
    outputs = (await resolveOutputs({ ...program })) as Record<string, unknown>;
    await waitForRegistrations();
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }

  const registrations = engine.registrations;
  const sites = registrations.filter((r) => r.type === CREATOR_SITE_TYPE).map((r) => r.name);
  const perResource = countBy(registrations.filter((r) => creatorOf(r) !== undefined), (r) => creatorOf(r) ?? "");
  const creatorOutputs = (outputs.creators ?? {}) as Record<string, { urls?: string[] }>;
  const perCreator: PlanResult["perCreator"] = {};
  for (const creator of config.creators) {
    if (!sites.includes(creator.id)) continue;
    perCreator[creator.id] = {
      plan: creator.plan,
      state: creator.state,
      resources: perResource[creator.id] ?? 0,
      urls: creatorOutputs[creator.id]?.urls ?? [],
    };
  }
  return {
    stack: file.stack,
    file: stackFile,
    provider: config.cluster.provider,
    creators: sites.length,
    resources: countBy(registrations, (r) => r.type),
    perCreator,
    outputs,
    notCovered: [
      ...file.unsetSecrets.map((key) => `${key} is not set in this stack file: \`pulumi up\` refuses the stack until it is (${SQLD_KEY_SEED_COMMAND}); the plan used a placeholder`),
      ...(config.cluster.provider === "existing"
        ? [`the existing cluster's Kubernetes version (1.${MIN_KUBERNETES_MINOR} or newer) is checked by \`pulumi preview\` and \`pulumi up\`, not offline`]
        : []),
      ...(config.images.ghost === undefined && !PUBLISHED_GHOST_IMAGE.digest
        ? [
            `the Ghost image ${GHOST_IMAGE} has no published digest (images/ghost-libsql/published.json): run the ghost-image workflow, merge its pin, or set images.ghost`,
          ]
        : []),
      ...clusterLimitations(outputs),
      ...remoteComponents(registrations),
    ],
    violations: kubeManifests(registrations).flatMap(guardrailViolations),
    registrations,
  };
}
