/**
 * The real Pulumi engine for the cluster tests: the `pulumi` CLI, its Node
 * language host and the Kubernetes provider, built from Go modules
 * (scripts/tools/build-tools.ts), run against a copy of this project with a
 * file backend, no Pulumi Cloud and no plugin downloads.
 *
 * A workspace is a temporary directory holding a copy of the program (the
 * project's own files, node_modules linked), its own `stacks/` and state, so a
 * test never writes into the repository. Plugins are found on PATH (the
 * language host and the provider sit in the tools' bin directories), which the
 * engine prefers over installed plugins of any version.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { parseDocument } from "yaml";
import { ensureTools, REPO_ROOT } from "../tools/build-tools.ts";
import { STORAGE_CLASS } from "./control-plane.ts";

/** What a workspace copies of the repository: the program, its policy pack and the files they read. */
const PROGRAM_FILES = ["Pulumi.yaml", "package.json", "tsconfig.json", "infra", "components", "policy", "images/ghost-libsql/published.json"];
const PROJECT = "creator-platform";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

export interface PulumiWorkspace {
  /** The file backend's directory (the stack's state is a JSON file under it). */
  state: string;
  dir: string;
  /** The project copy (`pulumi` runs here). */
  project: string;
  stack: string;
  stackFile: string;
  env: NodeJS.ProcessEnv;
  /** `pulumi <args…> --stack <stack> --non-interactive`, capturing output. */
  pulumi(args: string[], options?: { stack?: boolean; timeoutMs?: number; onSpawn?: (pid: number) => void }): Promise<RunResult>;
  /** Replaces the keys under `config:` given here (namespaced), keeping the rest (encryptionsalt, secure values). */
  setConfig(config: Record<string, unknown>): void;
  remove(): void;
}

export interface WorkspaceOptions {
  stack: string;
  kubeconfig: string;
  /** The stack's config (keys namespaced), written after `pulumi stack init`. */
  config: Record<string, unknown>;
  /** Secrets set with `pulumi config set --secret` (keys namespaced). */
  secrets?: Record<string, string>;
  /** The project to copy (default: this repository's program). */
  projectFiles?: Record<string, string>;
}

/**
 * A stack for the local control plane: an existing cluster (the kubeconfig's
 * current context), the add-ons whose charts come from the internet off
 * (Traefik and metrics-server "shipped", TLS and monitoring off), volumes of
 * the pre-created class. `extra` adds or replaces keys (namespaced).
 */
export function localStackConfig(creators: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    "pulumi:disable-default-providers": ["kubernetes"],
    "creator-platform:cluster": { provider: "existing", ships: ["traefik", "metrics-server"] },
    "creator-platform:platform": { domain: "creators.test", tls: { mode: "off" } },
    "creator-platform:storage": { type: "local", className: STORAGE_CLASS },
    "creator-platform:monitoring": { enabled: false },
    "creator-platform:creators": creators,
    ...extra,
  };
}

export const PULUMI_TOOLS = ["pulumi", "pulumi-language-nodejs", "pulumi-resource-kubernetes"] as const;

/** Path of every engine binary, built or found cached. */
export async function pulumiBinaries(): Promise<Record<(typeof PULUMI_TOOLS)[number], string>> {
  const paths = await ensureTools([...PULUMI_TOOLS]);
  for (const name of PULUMI_TOOLS) {
    if (!paths[name]) throw new Error(`the Pulumi engine needs ${name}, which npm run tools did not produce`);
  }
  return paths as Record<(typeof PULUMI_TOOLS)[number], string>;
}

function run(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  onSpawn?: (pid: number) => void,
): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    if (child.pid !== undefined) onSpawn?.(child.pid);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const timedOut = signal ? `\n(killed by ${signal} after ${timeoutMs / 1000} s)` : "";
      resolve({ code: code ?? 1, stdout, stderr: stderr + timedOut, seconds: (Date.now() - started) / 1000 });
    });
  });
}

export async function createWorkspace(options: WorkspaceOptions): Promise<PulumiWorkspace> {
  const binaries = await pulumiBinaries();
  const dir = mkdtempSync(join(tmpdir(), "pulumi-ws-"));
  const project = join(dir, "project");
  mkdirSync(join(project, "stacks"), { recursive: true });
  if (options.projectFiles) {
    for (const [file, text] of Object.entries(options.projectFiles)) {
      mkdirSync(dirname(join(project, file)), { recursive: true });
      writeFileSync(join(project, file), text);
    }
  } else {
    for (const file of PROGRAM_FILES) cpSync(join(REPO_ROOT, file), join(project, file), { recursive: true });
  }
  symlinkSync(join(REPO_ROOT, "node_modules"), join(project, "node_modules"), "dir");

  const pathDirs = [...new Set(Object.values(binaries).map(dirname))];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: [...pathDirs, process.env.PATH ?? ""].join(delimiter),
    PULUMI_HOME: join(dir, "home"),
    PULUMI_BACKEND_URL: `file://${join(dir, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "cluster-test-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    KUBECONFIG: options.kubeconfig,
    // The program reads no ambient cloud credentials here.
    CIVO_TOKEN: "",
    LINODE_TOKEN: "",
  };
  mkdirSync(join(dir, "state"), { recursive: true });
  const stackFile = join(project, "stacks", `Pulumi.${options.stack}.yaml`);

  const pulumi: PulumiWorkspace["pulumi"] = (args, opts = {}) => {
    const stackArgs = opts.stack === false ? [] : ["--stack", options.stack];
    return run(binaries.pulumi, [...args, ...stackArgs, "--non-interactive"], project, env, opts.timeoutMs ?? 900_000, opts.onSpawn);
  };
  const setConfig = (config: Record<string, unknown>) => {
    const doc = parseDocument(existsSync(stackFile) ? readFileSync(stackFile, "utf8") : "config: {}\n");
    for (const [key, value] of Object.entries(config)) doc.setIn(["config", key], doc.createNode(value));
    writeFileSync(stackFile, doc.toString({ lineWidth: 0 }));
  };

  const init = await pulumi(["stack", "init", options.stack], { stack: false });
  if (init.code !== 0) throw new Error(`pulumi stack init ${options.stack} failed:\n${init.stdout}${init.stderr}`);
  setConfig(options.config);
  for (const [key, value] of Object.entries(options.secrets ?? {})) {
    const set = await pulumi(["config", "set", "--secret", key, value]);
    if (set.code !== 0) throw new Error(`pulumi config set --secret ${key} failed:\n${set.stderr}`);
  }
  return {
    dir,
    state: join(dir, "state"),
    project,
    stack: options.stack,
    stackFile,
    env,
    pulumi,
    setConfig,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export { PROJECT };
