/**
 * A plan's objects for the object diff (object-diff.ts): every Kubernetes
 * object (secrets redacted, as `--out` writes them), every chart or remote
 * manifest as the provider will be given it, and every cloud resource (the
 * cluster, its node pools, buckets), keyed `<Kind>/<namespace>/<name>`.
 *
 * Pulumi's runtime is process-global and the program's modules load once, so
 * a second plan in the same process registers nothing: the base version is
 * planned in a child process (base-plan.ts) while this one plans the head.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { mapSecrets } from "../../infra/offline/mocks.ts";
import { type PlanResult, REDACTED, creatorOf, kubeManifests, remoteInstalls } from "../../infra/offline/offline-plan.ts";
import { type PlannedObject, objectKey } from "./object-diff.ts";
import { RETAINED_KINDS } from "../../infra/render/creator.ts";


export interface PlannedVersion {
  perCreator: PlanResult["perCreator"];
  objects: PlannedObject[];
}

export async function plannedObjects(plan: PlanResult): Promise<PlannedVersion> {
  const sites = new Set(Object.keys(plan.perCreator));
  const owner = (name: string): { creator?: string } => {
    const creator = creatorOf({ type: "", name, inputs: {}, provider: undefined, custom: true });
    return creator && sites.has(creator) ? { creator } : {};
  };
  const objects: PlannedObject[] = [];
  for (const r of plan.registrations) {
    // One object, or the objects of a ConfigGroup the platform renders itself.
    const manifests = kubeManifests([r]);
    for (const manifest of manifests) {
      const { kind, metadata } = manifest;
      const mine = owner(r.name);
      // The mock engine does not see resource options: the kinds CreatorSite retains come from their one definition.
      const retainOnDelete = mine.creator !== undefined && RETAINED_KINDS.has(kind);
      objects.push({ key: objectKey(kind, metadata.namespace, metadata.name), ...mine, retainOnDelete, body: manifest });
    }
    if (manifests.length > 0) continue;
    if (r.custom && !r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers:")) {
      // A cloud resource: its type's last part is its kind, its Pulumi name its name.
      objects.push({ key: objectKey(r.type.split(":").at(-1) ?? r.type, "", r.name), ...owner(r.name), body: mapSecrets(r.inputs, () => REDACTED) });
    }
  }
  for (const install of await remoteInstalls(plan.registrations)) {
    const kind = install.files === undefined ? "Chart" : "ConfigGroup";
    objects.push({ key: objectKey(kind, install.namespace, install.release), ...owner(install.release), body: install });
  }
  return { perCreator: plan.perCreator, objects };
}

const ROOT = resolve(import.meta.dirname, "../..");
const CHILD = join(import.meta.dirname, "base-plan.ts");

/** The base plan failed: its message, and the exit code (1: the base stack is invalid or refused). */
export class BasePlanError extends Error {}

export interface BasePlan {
  done: Promise<PlannedVersion>;
  /** Stops the child (when the head fails first). */
  cancel(): void;
}

/** Plans `stackFile` in a child process; `onCreator` is called as each of its creators is registered. */
export function planInChild(stackFile: string, onCreator: () => void): BasePlan {
  const dir = mkdtempSync(join(tmpdir(), "plan-base-"));
  const out = join(dir, "planned-objects.json");
  const child = spawn(process.execPath, ["--max-semi-space-size=64", "--import", "tsx", CHILD, stackFile, out], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  // One byte a creator on stdout; messages on stderr.
  child.stdout.on("data", (chunk: Buffer) => {
    for (let i = 0; i < chunk.length; i++) onCreator();
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const done = new Promise<PlannedVersion>((resolvePlan, reject) => {
    child.on("error", (error) => reject(new BasePlanError(`the base plan could not start: ${error.message}`)));
    child.on("close", (code, signal) => {
      try {
        if (code !== 0) throw new BasePlanError(stderr.trim() || `the base plan ended with ${signal ?? `exit code ${code}`}`);
        resolvePlan(JSON.parse(readFileSync(out, "utf8")) as PlannedVersion);
      } catch (error) {
        reject(error);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
  return { done, cancel: () => child.kill() };
}
