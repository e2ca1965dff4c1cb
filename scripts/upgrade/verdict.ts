/**
 * Whether one creator's Ghost Deployment has rolled out to the images it
 * should run, decided from what the API server says (plain views of the
 * Deployment and its Pods, so that the decision is a pure function):
 *
 * - done: the template has the expected images, the controller has seen it
 *   (observedGeneration ≥ generation) and every replica is updated and ready.
 *   At zero replicas (a sleeping plan asleep, a suspended creator) that is
 *   immediately true: the template is what it starts from.
 * - failed, without waiting for Pulumi's own 15-minute timeout: a Pod of the
 *   new images that cannot pull them, crashes, cannot be configured or cannot
 *   be scheduled for `unschedulableGraceMs`; or the current ReplicaSet reports
 *   a ReplicaFailure (admission refused its Pods: quota, PodSecurity, a policy),
 *   or the Deployment an exceeded progress deadline.
 * - pending: anything else (the template not applied yet, the Pod starting).
 */
import type { Creator } from "../../infra/config/schema.ts";

export interface ExpectedImages {
  ghost: string;
  sqld: string;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string | undefined;
  message?: string | undefined;
}

export interface DeploymentView {
  generation: number;
  observedGeneration: number;
  /** spec.replicas (the API server's default is 1). */
  replicas: number;
  updatedReplicas: number;
  readyReplicas: number;
  /** The template's `ghost` container and `sqld` native sidecar. */
  images: Partial<ExpectedImages>;
  conditions: Condition[];
  /**
   * ReplicaFailure of the ReplicaSet of the Deployment's current revision (its
   * Pods refused by admission: quota, PodSecurity, a policy). Read from that
   * ReplicaSet, not the Deployment: the Deployment also shows an old
   * ReplicaSet's failure until that one's next sync, e.g. just after a rollback.
   */
  replicaFailure?: { reason: string; message: string } | undefined;
}

export interface PodView {
  name: string;
  images: Partial<ExpectedImages>;
  /** Containers waiting, with the kubelet's reason (ImagePullBackOff, CrashLoopBackOff…). */
  waiting: Array<{ container: string; reason: string; message?: string | undefined }>;
  /** PodScheduled=False, reason Unschedulable: since when (ms since the epoch) and why. */
  unschedulable?: { since: number; message: string } | undefined;
}

export type Verdict =
  | { status: "done"; replicas: number; note: string }
  | { status: "pending"; reason: string }
  | { status: "failed"; reason: string };

/** Waiting reasons that do not resolve by waiting. */
export const FATAL_WAITING = new Set([
  "ErrImagePull",
  "ImagePullBackOff",
  "InvalidImageName",
  "ErrImageNeverPull",
  "CrashLoopBackOff",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
]);

const sameImages = (have: Partial<ExpectedImages>, want: ExpectedImages) => have.ghost === want.ghost && have.sqld === want.sqld;

export function rolloutVerdict(
  state: Creator["state"],
  deployment: DeploymentView | undefined,
  pods: readonly PodView[],
  expected: ExpectedImages,
  options: { now: number; unschedulableGraceMs: number; /** How the notes name `expected`. */ images?: string },
): Verdict {
  const images = options.images ?? "the new images";
  if (state === "retired") return { status: "done", replicas: 0, note: "retired: runs nothing, no Deployment to change" };
  if (!deployment) return { status: "pending", reason: "no Deployment ghost yet" };
  if (!sameImages(deployment.images, expected)) {
    return { status: "pending", reason: `the template still runs ghost ${deployment.images.ghost ?? "?"}, sqld ${deployment.images.sqld ?? "?"}` };
  }
  if (deployment.observedGeneration < deployment.generation) return { status: "pending", reason: "the Deployment controller has not seen the new template yet" };
  for (const pod of pods.filter((p) => sameImages(p.images, expected))) {
    const stuck = pod.waiting.find((w) => FATAL_WAITING.has(w.reason));
    if (stuck) return { status: "failed", reason: `pod ${pod.name}: container ${stuck.container} ${stuck.reason}${stuck.message ? `: ${stuck.message}` : ""}` };
    if (pod.unschedulable && options.now - pod.unschedulable.since >= options.unschedulableGraceMs) {
      const seconds = Math.round((options.now - pod.unschedulable.since) / 1000);
      return { status: "failed", reason: `pod ${pod.name} cannot be scheduled (${seconds} s): ${pod.unschedulable.message}` };
    }
  }
  const failure = deployment.replicaFailure;
  if (failure) return { status: "failed", reason: `its Pods are refused (ReplicaFailure, ${failure.reason}): ${failure.message}` };
  const deadline = deployment.conditions.find((c) => c.type === "Progressing" && c.status === "False" && c.reason === "ProgressDeadlineExceeded");
  if (deadline) return { status: "failed", reason: `ProgressDeadlineExceeded: ${deadline.message ?? ""}`.trim() };
  const { replicas, updatedReplicas, readyReplicas } = deployment;
  if (replicas === 0) {
    const note =
      state === "suspended"
        ? `suspended, 0 replicas: the template has ${images}, it starts on them when resumed`
        : `asleep, 0 replicas: the template has ${images}, it wakes on them (not woken to check)`;
    return { status: "done", replicas, note };
  }
  if (updatedReplicas === replicas && readyReplicas === replicas) return { status: "done", replicas, note: `rolled out: ${readyReplicas}/${replicas} ready on ${images}` };
  return { status: "pending", reason: `${updatedReplicas}/${replicas} updated, ${readyReplicas}/${replicas} ready` };
}

/** A site answered when it gave 2xx or 3xx (a redirect to the sign-in page or to https is an answer). */
export function siteAnswered(status: number): boolean {
  return status >= 200 && status < 400;
}
