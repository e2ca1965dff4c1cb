/**
 * A real Kubernetes control plane on this machine, for tests: etcd,
 * kube-apiserver, kube-controller-manager and kube-scheduler (v1.34) built by
 * scripts/tools/build-tools.ts, plus kwok, which plays the kubelet for N fake
 * Nodes: Pods are scheduled by the real scheduler and kwok marks them Running
 * and Ready, so Deployments complete. Nothing runs in the Pods.
 *
 * What it decides:
 * - Everything listens on 127.0.0.1 only, on free ports picked at start. kwok
 *   serves nothing (no --server-address, no --node-port). The Nodes' addresses
 *   are 127.0.0.1 (so an apiserver call to a "kubelet", logs or exec, is
 *   refused on loopback rather than sent anywhere); the Pods' IPs come from
 *   kwok's --cidr (10.244.0.0/16) and the Services' from
 *   --service-cluster-ip-range (10.96.0.0/16): these are only numbers written
 *   into status, nothing listens there, and a test must not send traffic to them.
 * - State (etcd data, certificates, keys, tokens, kubeconfigs, one log per
 *   component, state.json with the pids) lives in one directory, removed on stop
 *   unless `keep`.
 * - Authentication: a static token file with an admin token (group
 *   system:masters) and one token each for the controller-manager
 *   (system:kube-controller-manager) and the scheduler (system:kube-scheduler),
 *   whose RBAC bindings ship with the apiserver, and for kwok (system:masters:
 *   it writes Node and Pod status and Leases). Authorization Node,RBAC.
 * - The apiserver makes its own self-signed serving certificate in --cert-dir
 *   (a CA and a leaf for 127.0.0.1/localhost, written as one bundle): that
 *   bundle is the kubeconfig's CA and the controller-manager's --root-ca-file.
 *   ServiceAccount tokens are signed with an RSA key made here with node:crypto.
 * - Admission: the 1.34 defaults (DefaultOffAdmissionPlugins in
 *   pkg/kubeapiserver/options/plugins.go) already include NamespaceLifecycle,
 *   LimitRanger, ServiceAccount, PodSecurity and ResourceQuota; they are named
 *   in --enable-admission-plugins as well so that they stay on. Privileged
 *   containers are allowed by the apiserver (--allow-privileged) so that
 *   PodSecurity is what rejects them, as on a real cluster.
 * - --endpoint-reconciler-type=none: the apiserver advertises 127.0.0.1, which
 *   Endpoints may not hold; nothing here needs the `kubernetes` Service's
 *   endpoints.
 * - kwok runs with the default Stages that kwokctl uses for its binary runtime
 *   (node-initialize, node-heartbeat-with-lease, pod-ready, pod-complete,
 *   pod-delete of kwok v0.8.0), copied from the module by the builder. pod-ready
 *   marks every container ready and running, init containers with
 *   `restartPolicy: Always` (native sidecars) started and running, the others
 *   terminated/Completed; probes are not run, the Pod is simply Ready.
 * - Nodes are created through the API with the annotation
 *   `kwok.x-k8s.io/node: fake` that kwok is told to manage, the labels of
 *   kwok's docs (type: kwok, kubernetes.io/role: agent, …) and no taint (the
 *   docs' NoSchedule taint guards real nodes, and there are none).
 * - Storage: a StorageClass `local-test` (the default class) with provisioner
 *   kubernetes.io/no-provisioner and volumeBindingMode Immediate, so the
 *   controller-manager's PV controller binds a PVC as soon as it is created,
 *   with or without a Pod (WaitForFirstConsumer would leave a PVC Pending until
 *   a Pod using it is scheduled), and a pool of pre-created hostPath
 *   PersistentVolumes under the state directory (default 40 × 10Gi,
 *   ReadWriteOnce and ReadWriteMany, reclaim policy Retain): nothing mounts them.
 * - Traefik's Middleware CRD: Traefik, which brings it, does not run here, so a
 *   STAND-IN definition of `middlewares.traefik.io` (v1alpha1, fields not
 *   checked) lets the API server hold creators' Middleware objects. Their fields
 *   are checked against Traefik's own schema in test/support/kube-schema.ts.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
import { request as httpRequest } from "node:http";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ensureTools, toolShareDir, type Log } from "../tools/build-tools.ts";

export const COMPONENTS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"] as const;
export type Component = (typeof COMPONENTS)[number];

export const STORAGE_CLASS = "local-test";

/** The stand-in for Traefik's Middleware CRD (the file's opening comment says why). */
const TRAEFIK_MIDDLEWARE_STAND_IN = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "middlewares.traefik.io" },
  spec: {
    group: "traefik.io",
    scope: "Namespaced",
    names: { plural: "middlewares", singular: "middleware", kind: "Middleware", listKind: "MiddlewareList" },
    versions: [{ name: "v1alpha1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
  },
};
export const KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node";

export interface ControlPlaneOptions {
  /** State directory; default a new temporary one. Must not hold a running control plane. */
  dir?: string;
  /** Fake nodes (default 3), each with this capacity. */
  nodes?: number;
  nodeCpu?: string;
  nodeMemory?: string;
  nodePods?: string;
  /** Pre-created PersistentVolumes for `local-test` (default 40 × 10Gi). */
  persistentVolumes?: { count: number; size: string };
  /** Progress lines (default: stderr). */
  log?: Log;
  /** Paths of the binaries by name; default: built or found cached by ensureTools. */
  binaries?: Record<string, string>;
  /** The processes outlive this Node process (the CLI's start); otherwise they are killed when it exits. */
  detached?: boolean;
  /** How long to wait for the control plane to be ready (default 120 s). */
  timeoutMs?: number;
}

export interface KubeResponse<T = unknown> {
  status: number;
  body: T;
  text: string;
}

export interface RequestOptions {
  query?: Record<string, string>;
  contentType?: string;
}

export interface ControlPlane {
  dir: string;
  kubeconfig: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** The admin bearer token (group system:masters). */
  token: string;
  /** PEM of the apiserver's self-signed certificate bundle (CA and leaf). */
  ca: string;
  pids: Record<Component, number>;
  /** Seconds from the call to ready. */
  startSeconds: number;
  /** A request to the apiserver as admin; the body is JSON-encoded, the answer JSON-decoded when it is JSON. */
  request<T = unknown>(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<KubeResponse<T>>;
  /** SIGTERM every component's process group, SIGKILL what is left after a grace period, remove the directory unless keep. */
  stop(options?: { keep?: boolean }): Promise<StopResult>;
}

export interface StopResult {
  seconds: number;
  killed: Component[];
}

/** What state.json holds: enough for `cluster stop|status` from another process. */
export interface ControlPlaneState {
  dir: string;
  server: string;
  token: string;
  kubeconfig: string;
  pids: Record<Component, number>;
  ports: Record<string, number>;
  startedAt: string;
}

const stderrLog: Log = (line) => process.stderr.write(`${line}\n`);

export class ControlPlaneError extends Error {
  override name = "ControlPlaneError";
}

async function freePort(taken: Set<number>): Promise<number> {
  for (;;) {
    const server = createServer();
    await new Promise<void>((ok, fail) => {
      server.once("error", fail);
      server.listen(0, "127.0.0.1", ok);
    });
    const { port } = server.address() as AddressInfo;
    await new Promise((ok) => server.close(ok));
    if (!taken.has(port)) {
      taken.add(port);
      return port;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

export function logFile(dir: string, component: Component): string {
  return join(dir, "logs", `${component}.log`);
}

function kubeconfigYaml(server: string, caPem: string, user: string, token: string): string {
  const ca = Buffer.from(caPem).toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: local",
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority-data: ${ca}`,
    "users:",
    `- name: ${user}`,
    "  user:",
    `    token: ${token}`,
    "contexts:",
    "- name: local",
    "  context:",
    "    cluster: local",
    `    user: ${user}`,
    "current-context: local",
    "",
  ].join("\n");
}

/** One HTTPS request to the apiserver. */
export function kubeRequest<T = unknown>(
  target: { server: string; token: string; ca: string },
  method: string,
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<KubeResponse<T>> {
  const url = new URL(path, target.server);
  for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
  const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  return new Promise((ok, fail) => {
    const req = httpsRequest(
      url,
      {
        method,
        ca: target.ca,
        headers: {
          Authorization: `Bearer ${target.token}`,
          Accept: "application/json",
          ...(payload !== undefined
            ? { "Content-Type": options.contentType ?? "application/json", "Content-Length": Buffer.byteLength(payload) }
            : {}),
        },
        timeout: 30_000,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => {
          let parsed: unknown = text;
          if ((res.headers["content-type"] ?? "").includes("json")) {
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = text;
            }
          }
          ok({ status: res.statusCode ?? 0, body: parsed as T, text });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${url.pathname}: timed out`)));
    req.on("error", fail);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

function httpGet(url: string): Promise<{ status: number; text: string }> {
  return new Promise((ok, fail) => {
    const req = httpRequest(url, { timeout: 5000 }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => ok({ status: res.statusCode ?? 0, text }));
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", fail);
    req.end();
  });
}

/**
 * The live (not zombie) processes of a process group, from /proc: a zombie has
 * exited and only waits for its parent (or, for the CLI's detached processes,
 * init) to reap it. Without /proc, any process in the group counts.
 */
export function groupMembers(pgid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === "EPERM" ? [pgid] : [];
    }
  }
  const members: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z" && fields[0] !== "X") members.push(Number(entry));
  }
  return members;
}

function groupAlive(pgid: number): boolean {
  return groupMembers(pgid).length > 0;
}

/**
 * Whether `pid` is still the component started for the state directory `dir`
 * (its command line names a file in `dir`), not a later process that got the
 * same pid. Without /proc, assumed so.
 */
function startedFor(pid: number, dir: string): boolean {
  if (!existsSync("/proc/self")) return true;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(`${dir}/`);
  } catch {
    return false;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/** The children this process started and has not stopped: killed if it exits first (unless detached). */
const owned = new Map<number, ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const pid of owned.keys()) signalGroup(pid, "SIGKILL");
  });
}

/**
 * Stops the components listed in `pids`: SIGTERM to each process group (kwok,
 * the scheduler, the controller-manager and the apiserver together, then
 * etcd), up to `graceMs` for each step, then SIGKILL for the stragglers. Waits
 * until every group is empty.
 */
export async function stopProcesses(dir: string, pids: Partial<Record<Component, number>>, graceMs = 15_000): Promise<StopResult> {
  const started = performance.now();
  const killed: Component[] = [];
  const steps: Component[][] = [["kwok", "kube-scheduler", "kube-controller-manager", "kube-apiserver"], ["etcd"]];
  for (const step of steps) {
    // Only processes that are still ours: a pid from an old state.json may belong to someone else by now.
    const group = step.flatMap((c) => {
      const pid = pids[c];
      return pid !== undefined && (owned.has(pid) || startedFor(pid, dir)) ? [[c, pid] as const] : [];
    });
    for (const [, pid] of group) signalGroup(pid, "SIGTERM");
    const deadline = Date.now() + graceMs;
    while (group.some(([, pid]) => groupAlive(pid)) && Date.now() < deadline) await sleep(100);
    for (const [component, pid] of group) {
      if (groupAlive(pid)) {
        killed.push(component);
        signalGroup(pid, "SIGKILL");
      }
    }
    const hard = Date.now() + 5000;
    while (group.some(([, pid]) => groupAlive(pid)) && Date.now() < hard) await sleep(50);
    for (const [component, pid] of group) {
      if (groupAlive(pid)) throw new ControlPlaneError(`${component} (process group ${pid}) did not exit after SIGKILL`);
      // Our own child: wait until Node has reaped it, so that not even a zombie is left.
      const child = owned.get(pid);
      const reaped = Date.now() + 5000;
      while (child && child.exitCode === null && child.signalCode === null && Date.now() < reaped) await sleep(20);
      owned.delete(pid);
    }
  }
  return { seconds: Math.round((performance.now() - started) / 100) / 10, killed };
}

/** Written into every state directory: only a directory holding it (or an empty one) is ever removed. */
export const STATE_MARKER = ".creator-platform-cluster";

/** Removes a state directory, refusing one that is not ours (no marker, not empty). */
export async function removeStateDir(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  if (!existsSync(join(dir, STATE_MARKER)) && readdirSync(dir).length > 0) {
    throw new ControlPlaneError(`${dir} is not a control plane's state directory (no ${STATE_MARKER}): not removing it`);
  }
  await rm(dir, { recursive: true, force: true });
}

export async function readState(dir: string): Promise<ControlPlaneState | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, "state.json"), "utf8")) as ControlPlaneState;
  } catch {
    return undefined;
  }
}

/** Which components of the control plane in `dir` still have a live process. */
export function liveComponents(state: ControlPlaneState): Component[] {
  return COMPONENTS.filter((c) => state.pids[c] !== undefined && startedFor(state.pids[c], state.dir) && groupAlive(state.pids[c]));
}

/** Stops the control plane whose state is in `dir` (from any process), and removes `dir` unless keep. */
export async function stopControlPlaneDir(dir: string, options: { keep?: boolean } = {}): Promise<StopResult | undefined> {
  const state = await readState(dir);
  const result = state ? await stopProcesses(state.dir, state.pids) : undefined;
  if (!options.keep) await removeStateDir(dir);
  return result;
}

function rsaServiceAccountKey(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    publicPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

function token(): string {
  return randomBytes(24).toString("hex");
}

const STAGE_FILES = ["node-initialize.yaml", "node-heartbeat-with-lease.yaml", "pod-ready.yaml", "pod-complete.yaml", "pod-delete.yaml"];

function fakeNode(name: string, options: Required<Pick<ControlPlaneOptions, "nodeCpu" | "nodeMemory" | "nodePods">>): unknown {
  const resources = { cpu: options.nodeCpu, memory: options.nodeMemory, pods: options.nodePods, "ephemeral-storage": "100Gi" };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: { "node.alpha.kubernetes.io/ttl": "0", [KWOK_NODE_ANNOTATION]: "fake" },
      labels: {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/role": "agent",
        "node-role.kubernetes.io/agent": "",
        type: "kwok",
      },
    },
    spec: {},
    status: {
      allocatable: resources,
      capacity: resources,
      addresses: [
        { type: "InternalIP", address: "127.0.0.1" },
        { type: "Hostname", address: name },
      ],
    },
  };
}

/** Starts etcd, the apiserver, the controller-manager, the scheduler and kwok, and waits until they serve. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const started = performance.now();
  const log = options.log ?? stderrLog;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const bins = options.binaries ?? (await ensureTools(["etcd", "kubernetes", "kwok"], log));
  for (const name of COMPONENTS) {
    if (!bins[name] || !existsSync(bins[name])) throw new ControlPlaneError(`no ${name} binary (${bins[name] ?? "not built"})`);
  }
  const stagesDir = join(toolShareDir("kwok"), "stages");
  const afterBuild = performance.now();

  const dir = resolve(options.dir ?? (await mkdtemp(join(tmpdir(), "creator-platform-cluster-"))));
  const previous = await readState(dir);
  if (previous && liveComponents(previous).length > 0) {
    throw new ControlPlaneError(`a control plane is already running in ${dir} (${liveComponents(previous).join(", ")}): stop it first`);
  }
  await removeStateDir(dir);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, STATE_MARKER), "state directory of scripts/cluster/control-plane.ts: removed on stop\n");
  for (const sub of ["logs", "etcd", "pki", "apiserver", "controller-manager", "scheduler", "pv"]) await mkdir(join(dir, sub), { recursive: true });

  const taken = new Set<number>();
  const ports = {
    etcdClient: await freePort(taken),
    etcdPeer: await freePort(taken),
    apiserver: await freePort(taken),
    controllerManager: await freePort(taken),
    scheduler: await freePort(taken),
  };
  const server = `https://127.0.0.1:${ports.apiserver}`;
  const etcdUrl = `http://127.0.0.1:${ports.etcdClient}`;

  // Keys and tokens.
  const sa = rsaServiceAccountKey();
  const saKey = join(dir, "pki", "sa.key");
  const saPub = join(dir, "pki", "sa.pub");
  await writeFile(saKey, sa.privatePem, { mode: 0o600 });
  await writeFile(saPub, sa.publicPem);
  const tokens = { admin: token(), controllerManager: token(), scheduler: token(), kwok: token() };
  const tokenFile = join(dir, "pki", "tokens.csv");
  await writeFile(
    tokenFile,
    [
      `${tokens.admin},admin,admin,"system:masters"`,
      `${tokens.controllerManager},system:kube-controller-manager,system:kube-controller-manager`,
      `${tokens.scheduler},system:kube-scheduler,system:kube-scheduler`,
      `${tokens.kwok},kwok-controller,kwok-controller,"system:masters"`,
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  const certDir = join(dir, "apiserver");
  const caFile = join(certDir, "apiserver.crt");

  const pids: Partial<Record<Component, number>> = {};
  const children = new Map<Component, ChildProcess>();
  let failed: { component: Component; code: number | null; signal: NodeJS.Signals | null } | undefined;
  let stopping = false;
  if (!options.detached) installExitHook();

  const launch = (component: Component, args: string[]) => {
    const out = openSync(logFile(dir, component), "a");
    const child = spawn(bins[component]!, args, { cwd: dir, detached: true, stdio: ["ignore", out, out] });
    closeSync(out);
    if (child.pid === undefined) throw new ControlPlaneError(`${component} did not start`);
    pids[component] = child.pid;
    children.set(component, child);
    child.on("exit", (code, signal) => {
      if (!stopping && !failed) failed = { component, code, signal };
    });
    if (options.detached) child.unref();
    else owned.set(child.pid, child);
  };

  const abort = async (message: string, component?: Component): Promise<never> => {
    stopping = true;
    const which = component ?? failed?.component;
    const detail = which ? `\n--- last lines of ${logFile(dir, which)} ---\n${tail(logFile(dir, which))}` : "";
    await stopProcesses(dir, pids).catch(() => undefined);
    throw new ControlPlaneError(`${message}${detail}\n(state kept in ${dir})`);
  };

  /** Polls until `check` is true; fails early if a component exits, or after the deadline. */
  const waitFor = async (what: string, component: Component, check: () => Promise<boolean>): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (failed) {
        await abort(`${failed.component} exited (code ${failed.code}, signal ${failed.signal}) while waiting for ${what}`);
      }
      if (await check().catch(() => false)) return;
      if (Date.now() > deadline) await abort(`timed out after ${timeoutMs / 1000} s waiting for ${what}`, component);
      await sleep(200);
    }
  };

  try {
    launch("etcd", [
      "--name=default",
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${ports.etcdPeer}`,
      "--initial-cluster-state=new",
      "--unsafe-no-fsync",
      "--log-level=warn",
    ]);
    await waitFor("etcd /health", "etcd", async () => (await httpGet(`${etcdUrl}/health`)).text.includes('"health":"true"'));

    launch("kube-apiserver", [
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${ports.apiserver}`,
      `--cert-dir=${certDir}`,
      "--service-cluster-ip-range=10.96.0.0/16",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${saPub}`,
      `--service-account-signing-key-file=${saKey}`,
      `--token-auth-file=${tokenFile}`,
      "--authorization-mode=Node,RBAC",
      "--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,PodSecurity,ResourceQuota",
      "--allow-privileged=true",
      "--endpoint-reconciler-type=none",
      "--profiling=false",
      "--v=1",
    ]);
    // The serving certificate is written before the port opens.
    let ca = "";
    await waitFor("kube-apiserver's self-signed certificate", "kube-apiserver", async () => {
      if (!existsSync(caFile)) return false;
      ca = await readFile(caFile, "utf8");
      return ca.includes("END CERTIFICATE");
    });
    const admin = { server, token: tokens.admin, ca };
    await waitFor("kube-apiserver /readyz", "kube-apiserver", async () => {
      const res = await kubeRequest(admin, "GET", "/readyz");
      return res.status === 200 && res.text.trim() === "ok";
    });

    const kubeconfig = join(dir, "kubeconfig");
    await writeFile(kubeconfig, kubeconfigYaml(server, ca, "admin", tokens.admin), { mode: 0o600 });
    const cmKubeconfig = join(dir, "controller-manager.kubeconfig");
    await writeFile(cmKubeconfig, kubeconfigYaml(server, ca, "system:kube-controller-manager", tokens.controllerManager), { mode: 0o600 });
    const schedKubeconfig = join(dir, "scheduler.kubeconfig");
    await writeFile(schedKubeconfig, kubeconfigYaml(server, ca, "system:kube-scheduler", tokens.scheduler), { mode: 0o600 });
    const kwokKubeconfig = join(dir, "kwok.kubeconfig");
    await writeFile(kwokKubeconfig, kubeconfigYaml(server, ca, "kwok-controller", tokens.kwok), { mode: 0o600 });

    // What the controller-manager and the scheduler share: who they are, loopback only, no election.
    const controllerFlags = (kubeconfig: string, port: number, certDir: string) => [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${port}`,
      `--cert-dir=${join(dir, certDir)}`,
      "--leader-elect=false",
      "--profiling=false",
      "--v=1",
    ];
    launch("kube-controller-manager", [
      ...controllerFlags(cmKubeconfig, ports.controllerManager, "controller-manager"),
      "--controllers=*",
      "--use-service-account-credentials=true",
      `--service-account-private-key-file=${saKey}`,
      `--root-ca-file=${caFile}`,
      "--cluster-name=creator-platform-test",
    ]);
    launch("kube-scheduler", controllerFlags(schedKubeconfig, ports.scheduler, "scheduler"));

    const stages = await Promise.all(STAGE_FILES.map((f) => readFile(join(stagesDir, f), "utf8")));
    const kwokConfig = join(dir, "kwok.yaml");
    await writeFile(kwokConfig, stages.map((s) => s.trimEnd()).join("\n---\n") + "\n");
    launch("kwok", [
      `--config=${kwokConfig}`,
      `--kubeconfig=${kwokKubeconfig}`,
      "--manage-all-nodes=false",
      `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
      "--node-ip=127.0.0.1",
      "--cidr=10.244.0.0/16",
      "--node-lease-duration-seconds=40",
    ]);

    const call = <T = unknown>(method: string, path: string, body?: unknown, opts?: RequestOptions) => kubeRequest<T>(admin, method, path, body, opts);
    const mustCreate = async (path: string, body: unknown) => {
      const res = await call("POST", path, body);
      if (res.status !== 201 && res.status !== 409) await abort(`POST ${path}: ${res.status} ${res.text}`, "kube-apiserver");
    };

    // Fake nodes, the StorageClass and the PersistentVolume pool.
    const nodeCount = options.nodes ?? 3;
    const nodeOpts = { nodeCpu: options.nodeCpu ?? "8", nodeMemory: options.nodeMemory ?? "32Gi", nodePods: options.nodePods ?? "110" };
    for (let i = 0; i < nodeCount; i++) await mustCreate("/api/v1/nodes", fakeNode(`kwok-node-${i}`, nodeOpts));
    await mustCreate("/apis/storage.k8s.io/v1/storageclasses", {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name: STORAGE_CLASS, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
      provisioner: "kubernetes.io/no-provisioner",
      volumeBindingMode: "Immediate",
      reclaimPolicy: "Retain",
    });
    const pool = options.persistentVolumes ?? { count: 40, size: "10Gi" };
    const createPv = async (i: number) => {
      const name = `local-test-pv-${String(i).padStart(3, "0")}`;
      const path = join(dir, "pv", name);
      await mkdir(path, { recursive: true });
      await mustCreate("/api/v1/persistentvolumes", {
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: { name, labels: { "creator-platform.test/pool": STORAGE_CLASS } },
        spec: {
          capacity: { storage: pool.size },
          accessModes: ["ReadWriteOnce", "ReadWriteMany"],
          persistentVolumeReclaimPolicy: "Retain",
          storageClassName: STORAGE_CLASS,
          hostPath: { path, type: "DirectoryOrCreate" },
        },
      });
    };
    for (let i = 0; i < pool.count; i += 10) {
      await Promise.all(Array.from({ length: Math.min(10, pool.count - i) }, (_, k) => createPv(i + k)));
    }

    await mustCreate("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", TRAEFIK_MIDDLEWARE_STAND_IN);
    await waitFor("the Middleware CRD established", "kube-apiserver", async () => {
      const res = await call<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(
        "GET",
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${TRAEFIK_MIDDLEWARE_STAND_IN.metadata.name}`,
      );
      return res.body.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") === true;
    });

    await waitFor(`${nodeCount} Ready nodes (kwok)`, "kwok", async () => {
      const res = await call<{ items: Array<{ status?: { conditions?: Array<{ type: string; status: string }> }; spec?: { taints?: Array<{ key: string }> } }> }>(
        "GET",
        "/api/v1/nodes",
      );
      const ready = res.body.items.filter(
        (n) =>
          n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") &&
          !(n.spec?.taints ?? []).some((t) => t.key.startsWith("node.kubernetes.io/")),
      );
      return ready.length >= nodeCount;
    });
    await waitFor("the default ServiceAccount in namespace default", "kube-controller-manager", async () => {
      const res = await call("GET", "/api/v1/namespaces/default/serviceaccounts/default");
      return res.status === 200;
    });

    const pidsAll = pids as Record<Component, number>;
    const state: ControlPlaneState = { dir, server, token: tokens.admin, kubeconfig, pids: pidsAll, ports, startedAt: new Date().toISOString() };
    await writeFile(join(dir, "state.json"), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    const startSeconds = Math.round((performance.now() - started) / 100) / 10;
    log(
      `control plane ready in ${startSeconds} s (${Math.round((performance.now() - afterBuild) / 100) / 10} s after the binaries): ${server}, kubeconfig ${kubeconfig}`,
    );

    return {
      dir,
      kubeconfig,
      server,
      token: tokens.admin,
      ca,
      pids: pidsAll,
      startSeconds,
      request: call,
      async stop(stopOptions: { keep?: boolean } = {}) {
        stopping = true;
        const result = await stopProcesses(dir, pidsAll);
        if (!stopOptions.keep) await removeStateDir(dir);
        return result;
      },
    };
  } catch (error) {
    if (error instanceof ControlPlaneError) throw error;
    return abort(`starting the control plane failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
