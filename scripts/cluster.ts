/**
 * npm run cluster -- start|stop|status [--dir <d>] [--json] [--keep] [--nodes <n>]
 *
 * The local control plane of scripts/cluster/control-plane.ts from the shell:
 * `start` builds (or finds cached) etcd, the Kubernetes control plane and kwok,
 * starts them in the background and prints the kubeconfig path, the server
 * and the admin token; `stop` stops every component (SIGTERM, then SIGKILL
 * after a grace period) and removes the state directory unless --keep;
 * `status` says which components are running and whether /readyz is ok.
 * The state directory defaults to $TMPDIR/creator-platform-cluster.
 * Exit codes: 0 done (status: running), 1 failed (status: not running),
 * 2 bad arguments.
 */
import "./closed-pipe.ts";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ToolBuildError } from "./tools/build-tools.ts";
import {
  COMPONENTS,
  ControlPlaneError,
  kubeRequest,
  liveComponents,
  readState,
  startControlPlane,
  stopControlPlaneDir,
} from "./cluster/control-plane.ts";

const DEFAULT_DIR = join(tmpdir(), "creator-platform-cluster");

interface Options {
  dir: string;
  json?: boolean;
  keep?: boolean;
  nodes: number;
}

function out(json: boolean, value: Record<string, unknown>, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
}

async function start(options: Options): Promise<number> {
  const cp = await startControlPlane({ dir: options.dir, nodes: options.nodes, detached: true });
  out(
    Boolean(options.json),
    { dir: cp.dir, kubeconfig: cp.kubeconfig, server: cp.server, token: cp.token, pids: cp.pids, startSeconds: cp.startSeconds },
    [`control plane running in ${cp.dir}`, `  server      ${cp.server}`, `  kubeconfig  ${cp.kubeconfig}`, `  stop with   npm run cluster -- stop --dir ${cp.dir}`].join("\n"),
  );
  return 0;
}

async function stop(options: Options): Promise<number> {
  const state = await readState(options.dir);
  if (!state) {
    out(Boolean(options.json), { dir: options.dir, running: false }, `no control plane in ${options.dir}`);
    return 0;
  }
  const result = await stopControlPlaneDir(options.dir, { keep: Boolean(options.keep) });
  out(
    Boolean(options.json),
    { dir: options.dir, stopped: true, seconds: result?.seconds ?? 0, killed: result?.killed ?? [], kept: Boolean(options.keep) },
    `stopped the control plane in ${options.dir} in ${result?.seconds ?? 0} s` +
      (result && result.killed.length > 0 ? ` (SIGKILL: ${result.killed.join(", ")})` : "") +
      (options.keep ? " (state kept)" : ""),
  );
  return 0;
}

async function status(options: Options): Promise<number> {
  const state = await readState(options.dir);
  if (!state) {
    out(Boolean(options.json), { dir: options.dir, running: false }, `no control plane in ${options.dir}`);
    return 1;
  }
  const live = liveComponents(state);
  let readyz = "unreachable";
  try {
    const ca = await readFile(join(state.dir, "apiserver", "apiserver.crt"), "utf8");
    readyz = (await kubeRequest({ server: state.server, token: state.token, ca }, "GET", "/readyz")).text.trim();
  } catch {
    readyz = "unreachable";
  }
  const running = live.length === COMPONENTS.length && readyz === "ok";
  out(
    Boolean(options.json),
    { dir: state.dir, running, server: state.server, kubeconfig: state.kubeconfig, readyz, components: Object.fromEntries(COMPONENTS.map((c) => [c, { pid: state.pids[c], running: live.includes(c) }])) },
    [
      `control plane in ${state.dir}: ${running ? "running" : "not running"} (readyz: ${readyz})`,
      `  server      ${state.server}`,
      `  kubeconfig  ${state.kubeconfig}`,
      ...COMPONENTS.map((c) => `  ${c.padEnd(24)} pid ${state.pids[c]} ${live.includes(c) ? "running" : "stopped"}`),
    ].join("\n"),
  );
  return running ? 0 : 1;
}

async function main(): Promise<number> {
  const program = new Command("cluster")
    .description(
      "A local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok with fake nodes) on 127.0.0.1. " +
        "Exit 0 done, 1 failed, 2 bad arguments.",
    )
    .argument("<command>", "start | stop | status")
    .addOption(new Option("--dir <dir>", "state directory").default(DEFAULT_DIR))
    .option("--json", "print JSON on stdout")
    .option("--keep", "stop: keep the state directory (logs, etcd data)")
    .addOption(
      new Option("--nodes <n>", "start: number of fake nodes").default(3).argParser((v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("not a whole number ≥ 1");
        return n;
      }),
    )
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  const command = program.args[0];
  const options = program.opts<Options>();
  options.dir = resolve(options.dir);
  switch (command) {
    case "start":
      return start(options);
    case "stop":
      return stop(options);
    case "status":
      return status(options);
    default:
      process.stderr.write(`error: unknown command ${JSON.stringify(command)} (start, stop or status)\n`);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ToolBuildError || error instanceof ControlPlaneError) {
      process.stderr.write(`error: ${error.message}\n`);
    } else {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    process.exit(1);
  },
);
