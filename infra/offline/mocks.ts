/**
 * The Pulumi engine, replaced: Pulumi's mock runtime calls these functions
 * instead of a CLI, provider plugins and cloud APIs. The real program runs
 * unchanged on top; this is the only place it is mocked. Used by the offline
 * plan and by the tests.
 */
import * as pulumi from "@pulumi/pulumi";
import { pulumiConfigValue } from "../config/config-values.ts";
import { PROJECT } from "../config/stack-file.ts";

export interface Registration {
  type: string;
  name: string;
  /** Inputs as the engine received them (secrets still wrapped; see isSecret). */
  inputs: Record<string, unknown>;
  /** `<provider urn>::<provider id>` for custom resources with an explicit provider. */
  provider: string | undefined;
  custom: boolean;
}

/** The outputs the program reads, as a real provider would return them (inputs echoed where read). */
type Computed = (args: pulumi.runtime.MockResourceArgs) => Record<string, unknown>;

/** A kubeconfig for a cluster that exists only in this offline run. */
function offlineKubeconfig(name: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    `clusters: [{ name: ${name}, cluster: { server: "https://${name}.offline.invalid:6443" } }]`,
    `users: [{ name: ${name}, user: { token: offline-placeholder } }]`,
    `contexts: [{ name: ${name}, context: { cluster: ${name}, user: ${name} } }]`,
    `current-context: ${name}`,
  ].join("\n");
}

const COMPUTED: Record<string, Computed> = {
  "civo:index/kubernetesCluster:KubernetesCluster": (args) => ({ kubeconfig: offlineKubeconfig(args.name) }),
  // LKE hands the kubeconfig over base64-encoded.
  "linode:index/lkeCluster:LkeCluster": (args) => ({
    kubeconfig: Buffer.from(offlineKubeconfig(args.name)).toString("base64"),
  }),
  "linode:index/objectStorageBucket:ObjectStorageBucket": (args) => ({
    label: (args.inputs as { label?: string }).label,
    s3Endpoint: `${String((args.inputs as { region?: string }).region)}-1.linodeobjects.com`,
  }),
  "linode:index/objectStorageKey:ObjectStorageKey": () => ({ accessKey: "OFFLINEACCESSKEY", secretKey: "offline-secret-key" }),
};

export class MockEngine {
  readonly registrations: Registration[] = [];
  onRegister: ((registration: Registration) => void) | undefined;

  byType(type: string): Registration[] {
    return this.registrations.filter((r) => r.type === type);
  }
}

export interface MockOptions {
  stack: string;
  /** Stack config, keys namespaced (`creator-platform:creators`), values as in the stack file. */
  config: Record<string, unknown>;
  preview?: boolean;
}

export async function installMocks(options: MockOptions): Promise<MockEngine> {
  const engine = new MockEngine();
  // As the CLI hands config to a program: every value a string (infra/config/config-values.ts).
  pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(options.config).map(([k, v]) => [k, pulumiConfigValue(v)])));
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const registration: Registration = {
          type: args.type,
          name: args.name,
          inputs: args.inputs as Record<string, unknown>,
          provider: args.provider,
          custom: args.custom ?? true,
        };
        engine.registrations.push(registration);
        engine.onRegister?.(registration);
        // Only the outputs the program reads: echoing every input back as state would
        // double the memory and the serialisation work of a plan of thousands of objects.
        const state = COMPUTED[args.type]?.(args) ?? {};
        return { id: args.custom === false ? undefined : `${args.name}-id`, state };
      },
      call(args) {
        return args.inputs as Record<string, unknown>;
      },
    },
    PROJECT,
    options.stack,
    options.preview ?? false,
  );
  return engine;
}

/**
 * Waits until every pending registration reached the engine. `waitForRPCs` is
 * exported by the SDK's runtime but marked internal, so its type is not published.
 */
export async function waitForRegistrations(): Promise<void> {
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
}

/** True when a value arrived at the engine marked secret. */
export function isSecret(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig
  );
}

/** Replaces every secret value (wrapped by the engine) with `replacement`, or unwraps it. */
export function mapSecrets(value: unknown, replace: (secret: unknown) => unknown): unknown {
  if (isSecret(value)) return replace((value as { value: unknown }).value);
  if (Array.isArray(value)) return value.map((v) => mapSecrets(v, replace));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapSecrets(v, replace)]));
  }
  return value;
}

/** Resolves the Outputs inside a value (the program's exports). Secrets resolve to their values. */
export async function resolveOutputs(value: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    const resolved = await new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("an output never resolved (unknown in this run)")), 10_000);
      (value as pulumi.Output<unknown>).apply((v) => {
        clearTimeout(timer);
        resolve(v);
        return v;
      });
    });
    return resolveOutputs(resolved);
  }
  if (Array.isArray(value)) return Promise.all(value.map(resolveOutputs));
  if (typeof value === "object" && value !== null) {
    const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolveOutputs(v)] as const));
    return Object.fromEntries(entries);
  }
  return value;
}
