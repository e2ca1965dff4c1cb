/**
 * The `pulumi` CLI as the upgrade runs it: the real CLI (on PATH, or --pulumi),
 * in the project directory, with this process's environment (backend,
 * passphrase, cloud tokens, KUBECONFIG), its output kept for the report.
 *
 * `interrupt` sends SIGINT, Pulumi's own cancel: the engine starts no more
 * steps and the Kubernetes provider stops waiting on a rollout. Pulumi runs in
 * its own process group, so a Ctrl-C at the terminal reaches the command
 * alone, which passes it on once (a second SIGINT would make Pulumi quit
 * without cancelling). What a cancelled update had applied may or may not
 * reach Pulumi's state, so after an interrupt, and before a rollback, the
 * wave's Deployments are refreshed (`pulumi refresh --target`): the next
 * `pulumi up` then sees what the cluster runs and puts it right.
 */
import { spawn } from "node:child_process";

export interface PulumiResult {
  code: number;
  seconds: number;
  /** The last lines Pulumi wrote (stdout and stderr together). */
  tail: string;
  /** Why the upgrade interrupted it, when it did. */
  interrupted?: string;
}

export interface PulumiRun {
  done: Promise<PulumiResult>;
  interrupt(reason: string): void;
}

export interface PulumiOptions {
  pulumi: string;
  stack: string;
  cwd: string;
  /** More arguments for `pulumi up` (e.g. --policy-pack policy). */
  upArgs?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** After an interrupt, how long Pulumi may take to cancel before SIGTERM. */
  cancelGraceMs?: number;
}

const TAIL_LINES = 40;
const running = new Set<PulumiRun>();

/** Interrupts every pulumi this process runs (the command's Ctrl-C handler). */
export function interruptAll(reason: string): void {
  for (const run of running) run.interrupt(reason);
}

function pulumi(options: PulumiOptions, args: string[], stdoutTo?: (text: string) => void): PulumiRun {
  const started = Date.now();
  const child = spawn(options.pulumi, [...args, "--non-interactive", "--stack", options.stack], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  let stdout = "";
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout.on("data", (chunk: Buffer) => (stdoutTo ? (stdout += chunk.toString()) : keep(chunk)));
  child.stderr.on("data", keep);
  let interrupted: string | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const run: PulumiRun = {
    done: new Promise<PulumiResult>((resolve) => {
      const finish = (code: number, extra = "") => {
        if (killTimer) clearTimeout(killTimer);
        running.delete(run);
        stdoutTo?.(stdout);
        const tail = `${output}${extra}`.trimEnd().split("\n").slice(-TAIL_LINES).join("\n");
        resolve({ code, seconds: (Date.now() - started) / 1000, tail, ...(interrupted ? { interrupted } : {}) });
      };
      child.on("error", (error) => finish(127, `\ncannot run ${options.pulumi}: ${error.message}`));
      child.on("close", (code, signal) => finish(code ?? 1, signal ? `\n(pulumi ended by ${signal})` : ""));
    }),
    interrupt(reason) {
      if (interrupted !== undefined || child.exitCode !== null) return;
      interrupted = reason;
      child.kill("SIGINT");
      killTimer = setTimeout(() => child.kill("SIGTERM"), options.cancelGraceMs ?? 120_000);
    },
  };
  running.add(run);
  return run;
}

export function pulumiUp(options: PulumiOptions): PulumiRun {
  return pulumi(options, ["up", "--yes", "--skip-preview", ...(options.upArgs ?? [])]);
}

/** The URNs of these creators' Deployments `ghost` in a `pulumi stack export` (CreatorSite names them `<id>.deployment.ghost`). */
export function deploymentUrns(exported: string, ids: readonly string[]): string[] {
  const state = JSON.parse(exported) as { deployment?: { resources?: Array<{ urn: string; type: string }> } };
  const wanted = new Set(ids.map((id) => `${id}.deployment.ghost`));
  return (state.deployment?.resources ?? [])
    .filter((r) => r.type === "kubernetes:apps/v1:Deployment" && wanted.has(r.urn.slice(r.urn.lastIndexOf("::") + 2)))
    .map((r) => r.urn);
}

/** `pulumi refresh` of these creators' Deployments only: Pulumi's state then holds what the cluster runs. */
export async function refreshDeployments(options: PulumiOptions, ids: readonly string[]): Promise<PulumiResult> {
  let state = "";
  const exported = await pulumi(options, ["stack", "export"], (text) => (state = text)).done;
  if (exported.code !== 0) return exported;
  let urns: string[];
  try {
    urns = deploymentUrns(state, ids);
  } catch (error) {
    return { code: 1, seconds: exported.seconds, tail: `pulumi stack export: ${(error as Error).message}` };
  }
  if (urns.length === 0) return { code: 0, seconds: exported.seconds, tail: "no Deployment of these creators in the state" };
  return pulumi(options, ["refresh", "--yes", "--skip-preview", ...urns.flatMap((urn) => ["--target", urn])]).done;
}
