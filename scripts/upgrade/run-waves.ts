/**
 * An upgrade in waves, and its rollback. For each wave of the plan (waves.ts):
 * add its ids to the stack file's `rollout.creators`, run `pulumi up`, and
 * check every creator of the wave (verdict.ts: rolled out on the new images;
 * then its site answering), watching while Pulumi runs so that a Pod that
 * cannot start stops the wave at once rather than after Pulumi's 15-minute
 * wait. The first failure stops the upgrade: the file keeps the failed wave's
 * ids (the cluster runs them on the new images, or tries to) and the report
 * says how to roll them back. When every wave passed, the new images move into
 * `images` and `rollout` goes, one last `pulumi up` that changes nothing in the
 * cluster. Nothing surges: Ghost keeps its Recreate strategy and one replica.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Creator, Rollout } from "../../infra/config/schema.ts";
import { stackNameOf } from "../../infra/config/stack-file.ts";
import type { ResolvedConfig } from "../../infra/config/validate.ts";
import { imagesFor, resolveImages } from "../../infra/images.ts";
import { readText, replaceFile, validatedConfig } from "../creators/check.ts";
import { withProgress } from "../progress.ts";
import type { ClusterReader, SiteAnswer } from "./rollout-state.ts";
import type { PulumiResult, PulumiRun } from "./pulumi.ts";
import { type NewImages, withImages, withRollout } from "./stack-edit.ts";
import { type ExpectedImages, type Verdict, rolloutVerdict, siteAnswered } from "./verdict.ts";
import { type Wave, planWaves } from "./waves.ts";

/** Something that stops the command before or between waves (exit 1; `usage`: exit 2). */
export class UpgradeError extends Error {
  override name = "UpgradeError";
  constructor(
    readonly kind: "usage" | "rollout-under-way" | "cluster" | "project" | "pulumi",
    message: string,
  ) {
    super(message);
  }
}

export interface Timing {
  pollMs: number;
  /** From the start of a wave's `pulumi up` until every creator of it must have rolled out. */
  waveTimeoutMs: number;
  /** After `pulumi up` succeeded, how long the rollout checks may wait. */
  verifyTimeoutMs: number;
  /** How long a site may take to answer 2xx/3xx after its rollout. */
  siteTimeoutMs: number;
  /** How long a new Pod may stay unschedulable before the wave fails. */
  unschedulableGraceMs: number;
}

export const DEFAULT_TIMING: Timing = {
  pollMs: 3_000,
  waveTimeoutMs: 20 * 60_000,
  verifyTimeoutMs: 5 * 60_000,
  siteTimeoutMs: 120_000,
  unschedulableGraceMs: 5 * 60_000,
};

export interface Runtime {
  cluster: ClusterReader;
  /** Starts `pulumi up` of `stack` in the project directory `cwd`. */
  pulumiUp(stack: string, cwd: string): PulumiRun;
  /** `pulumi refresh` of these creators' Deployments (after an interrupted up, before a rollback). */
  refresh(stack: string, cwd: string, ids: readonly string[]): Promise<PulumiResult>;
  /** One GET of a creator's site; undefined: sites are not checked (`siteSkipped` says why). */
  site: ((creator: Creator) => Promise<SiteAnswer>) | undefined;
  siteSkipped?: string;
  timing: Timing;
  /** A line of the running report (not under --json). */
  log(line: string): void;
  /** A progress bar on a terminal. */
  progress: boolean;
  /** The repository's stacks, for the cross-stack rules (tests point it elsewhere). */
  stacksDir?: string;
}

export interface CreatorCheck {
  id: string;
  state: Creator["state"];
  ok: boolean;
  note: string;
  site?: SiteAnswer;
}

export interface WaveReport {
  index: number;
  kind: Wave["kind"] | "rollback";
  creators: string[];
  idle: string[];
  status: "planned" | "passed" | "failed" | "not-run";
  pulumiSeconds?: number;
  checks: CreatorCheck[];
  failure?: { creator?: string; reason: string; pulumi?: string };
}

export interface UpgradeReport {
  action: "upgrade" | "rollback";
  stack: string;
  file: string;
  from: ExpectedImages;
  to: ExpectedImages;
  /** Creators already on the new images when the command started (an upgrade resumed). */
  resumed: string[];
  waves: WaveReport[];
  outcome: "planned" | "upgraded" | "failed" | "nothing-to-do" | "rolled-back";
  /** After a failure: how to put the failed wave (or every creator) back on the previous images. */
  rollback?: { creators: string[]; command: string; all: string; byHand: string };
  /** The last `pulumi up`, with the images moved into `images` and `rollout` removed. */
  finish?: { pulumiSeconds: number };
  message: string;
}

export interface UpgradeRequest {
  file: string;
  /** How the command was told the stack (`--stack x` or `--config f`), for the commands it prints. */
  stackArg: string;
  images: NewImages;
  canaries: string[];
  waveSize: number;
  dryRun: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const list = (ids: readonly string[]) => ids.join(", ");

/** The directory `pulumi` runs in: the stack file's `stacks/` parent, which holds Pulumi.yaml (stackConfigDir: stacks). */
export function projectDirOf(file: string): string {
  const project = dirname(dirname(file));
  if (!existsSync(join(project, "Pulumi.yaml"))) {
    throw new UpgradeError("project", `${file}: no Pulumi.yaml in ${project}; the stack file must sit in the project's stacks/ directory (Pulumi.yaml: stackConfigDir: stacks)`);
  }
  return project;
}

function stackImages(config: ResolvedConfig): ExpectedImages {
  const images = resolveImages(config.images);
  return { ghost: images.ghost, sqld: images.sqld };
}

function expectedFor(config: ResolvedConfig, id: string): ExpectedImages {
  const images = imagesFor(id, resolveImages(config.images), config.rollout);
  return { ghost: images.ghost, sqld: images.sqld };
}

interface Loaded {
  text: string;
  config: ResolvedConfig;
}

function load(file: string, rt: Pick<Runtime, "stacksDir">): Loaded {
  const text = readText(file);
  return { text, config: validatedConfig(text, file, file, rt.stacksDir) };
}

/** Checks the edited text as the plan would, then writes it. */
function write(file: string, text: string, rt: Pick<Runtime, "stacksDir">): ResolvedConfig {
  const config = validatedConfig(text, file, `${file} (as the upgrade edits it)`, rt.stacksDir);
  replaceFile(file, text);
  return config;
}

async function verdictFor(rt: Runtime, config: ResolvedConfig, creator: Creator, images: string): Promise<Verdict> {
  const options = { now: Date.now(), unschedulableGraceMs: rt.timing.unschedulableGraceMs, images };
  if (creator.state === "retired") return rolloutVerdict("retired", undefined, [], expectedFor(config, creator.id), options);
  try {
    const { deployment, pods } = await rt.cluster.workload(creator.id);
    return rolloutVerdict(creator.state, deployment, pods, expectedFor(config, creator.id), options);
  } catch (error) {
    return { status: "pending", reason: (error as Error).message };
  }
}

/** The site of one rolled-out creator, asked until it answers 2xx/3xx or the time is up. */
async function siteCheck(rt: Runtime, creator: Creator): Promise<{ ok: boolean; answer: SiteAnswer }> {
  const site = rt.site as (c: Creator) => Promise<SiteAnswer>;
  const until = Date.now() + rt.timing.siteTimeoutMs;
  for (;;) {
    const answer = await site(creator);
    if (answer.status !== undefined && siteAnswered(answer.status)) return { ok: true, answer };
    if (Date.now() >= until) return { ok: false, answer };
    await sleep(rt.timing.pollMs);
  }
}

const answerText = (a: SiteAnswer) => (a.status !== undefined ? `${a.url} answered ${a.status}` : `${a.url}: ${a.error ?? "no answer"}`);

/**
 * One wave: `pulumi up` of the file as written, watched; then every creator of
 * the wave checked. `config` is the stack as written (it says which images each
 * creator should now run).
 */
async function runWave(rt: Runtime, stack: string, cwd: string, config: ResolvedConfig, wave: WaveReport): Promise<WaveReport> {
  const images = wave.kind === "rollback" ? "the previous images" : "the new images";
  const verdictOf = (creator: Creator) => verdictFor(rt, config, creator, images);
  const creators = wave.creators.map((id) => config.creators.find((c) => c.id === id) as Creator);
  const up = rt.pulumiUp(stack, cwd);
  let finished = false;
  void up.done.then(() => (finished = true));
  const started = Date.now();
  let failure: WaveReport["failure"];
  while (!finished) {
    await Promise.race([sleep(rt.timing.pollMs), up.done]);
    if (finished) break;
    for (const creator of creators) {
      const verdict = await verdictOf(creator);
      if (verdict.status === "failed") failure = { creator: creator.id, reason: verdict.reason };
      if (failure) break;
    }
    if (!failure && Date.now() - started > rt.timing.waveTimeoutMs) {
      failure = { reason: `not rolled out ${Math.round(rt.timing.waveTimeoutMs / 60_000)} minutes after pulumi up started` };
    }
    if (failure) {
      rt.log(`  ${failure.creator ?? "wave"}: ${failure.reason}: interrupting pulumi up (Ctrl-C, its own cancel)`);
      up.interrupt(failure.reason);
      break;
    }
  }
  const result = await up.done;
  const report: WaveReport = { ...wave, pulumiSeconds: Math.round(result.seconds) };
  if (result.interrupted) {
    // A cancelled update may not have reached Pulumi's state: make the state say what the cluster runs.
    const refreshed = await rt.refresh(stack, cwd, wave.creators);
    rt.log(refreshed.code === 0 ? `  refreshed Pulumi's state of ${list(wave.creators)}'s Deployments` : `  pulumi refresh of the wave failed (exit ${refreshed.code}): run pulumi refresh --stack ${stack} before rolling back`);
  }
  if (failure) return { ...report, status: "failed", failure: { ...failure, pulumi: result.tail } };
  if (result.code !== 0) {
    const why = result.interrupted ?? `pulumi up failed (exit ${result.code})`;
    // Which creator Pulumi could not roll out, as the cluster says.
    for (const creator of creators) {
      const verdict = await verdictOf(creator);
      if (verdict.status !== "done") {
        return { ...report, status: "failed", failure: { creator: creator.id, reason: `${why}; ${creator.id}: ${verdict.reason}`, pulumi: result.tail } };
      }
    }
    return { ...report, status: "failed", failure: { reason: `${why}; the wave's Deployments look rolled out: see Pulumi's output`, pulumi: result.tail } };
  }
  const checks: CreatorCheck[] = [];
  return withProgress(`wave ${wave.index}`, creators.length, rt.progress, async (tick) => {
    for (const creator of creators) {
      const until = Date.now() + rt.timing.verifyTimeoutMs;
      let verdict = await verdictOf(creator);
      while (verdict.status === "pending" && Date.now() < until) {
        await sleep(rt.timing.pollMs);
        verdict = await verdictOf(creator);
      }
      if (verdict.status !== "done") {
        const reason = verdict.status === "failed" ? verdict.reason : `not rolled out ${Math.round(rt.timing.verifyTimeoutMs / 1000)} s after pulumi up: ${verdict.reason}`;
        return { ...report, status: "failed" as const, checks, failure: { creator: creator.id, reason } };
      }
      const check: CreatorCheck = { id: creator.id, state: creator.state, ok: true, note: verdict.note };
      if (verdict.replicas > 0 && creator.state === "active") {
        if (rt.site) {
          const { ok, answer } = await siteCheck(rt, creator);
          check.site = answer;
          if (!ok) {
            checks.push({ ...check, ok: false });
            return { ...report, status: "failed" as const, checks, failure: { creator: creator.id, reason: `rolled out, but the site does not answer: ${answerText(answer)}` } };
          }
          check.note += `; ${answerText(answer)}`;
        } else {
          check.note += `; site not checked (${rt.siteSkipped ?? "off"})`;
        }
      }
      checks.push(check);
      tick();
    }
    return { ...report, status: "passed" as const, checks };
  });
}

const waveName = (wave: Pick<WaveReport, "index" | "kind">, total: number) =>
  wave.kind === "rollback" ? "rollback" : `wave ${wave.index}/${total}${wave.kind === "canaries" ? " (canaries)" : ""}`;

function logWave(rt: Runtime, total: number, wave: WaveReport): void {
  if (wave.status === "passed") {
    rt.log(`${waveName(wave, total)} passed, pulumi up ${wave.pulumiSeconds ?? 0} s:`);
    for (const c of wave.checks) rt.log(`  ${c.id}: ${c.note}`);
  }
}

function rollbackAdvice(req: Pick<UpgradeRequest, "file" | "stackArg">, stack: string, creators: string[]): NonNullable<UpgradeReport["rollback"]> {
  return {
    creators,
    command: `npm run upgrade -- ${req.stackArg} --rollback ${creators.join(",")}`,
    all: `npm run upgrade -- ${req.stackArg} --rollback`,
    byHand: `remove ${list(creators)} from creator-platform:rollout.creators in ${req.file} (the whole rollout key when none is left), then: pulumi up --refresh --stack ${stack}`,
  };
}

function sameImages(a: ExpectedImages, b: ExpectedImages): boolean {
  return a.ghost === b.ghost && a.sqld === b.sqld;
}

interface Planned {
  report: UpgradeReport;
  waves: Wave[];
  text: string;
  start: ResolvedConfig;
  rollout: Rollout;
}

/** The waves of an upgrade from the stack file as it is (what --dry-run prints); reads no cluster, writes nothing. */
export function planUpgrade(req: UpgradeRequest, stacksDir?: string): Planned {
  const stack = stackNameOf(req.file);
  const { text, config: start } = load(req.file, { stacksDir });
  const from = stackImages(start);
  const to: ExpectedImages = { ghost: req.images.ghost ?? from.ghost, sqld: req.images.sqld ?? from.sqld };
  const rollout: Rollout = { ...(req.images.ghost ? { ghost: req.images.ghost } : {}), ...(req.images.sqld ? { sqld: req.images.sqld } : {}), creators: [] };
  let resumed: string[] = [];
  if (start.rollout) {
    const underWay: ExpectedImages = { ghost: start.rollout.ghost ?? from.ghost, sqld: start.rollout.sqld ?? from.sqld };
    if (!sameImages(underWay, to)) {
      throw new UpgradeError(
        "rollout-under-way",
        `${req.file}: an upgrade to ghost ${underWay.ghost}, sqld ${underWay.sqld} is under way (rollout.creators: ${list(start.rollout.creators) || "none"}): ` +
          `finish it (run this command with those images) or roll it back first (npm run upgrade -- ${req.stackArg} --rollback)`,
      );
    }
    resumed = [...start.rollout.creators];
    rollout.creators = [...resumed];
  }
  const base = { action: "upgrade" as const, stack, file: req.file, from, to, resumed };
  if (!start.rollout && sameImages(from, to)) {
    const report: UpgradeReport = { ...base, waves: [], outcome: "nothing-to-do", message: `Stack ${stack} already runs ghost ${to.ghost}, sqld ${to.sqld}: nothing to do.` };
    return { report, waves: [], text, start, rollout };
  }
  const waves = planWaves({ creators: start.creators, canaries: req.canaries, waveSize: req.waveSize, done: resumed });
  const planned: WaveReport[] = waves.map((w) => ({ index: w.index, kind: w.kind, creators: w.creators, idle: w.idle, status: "planned", checks: [] }));
  const report: UpgradeReport = {
    ...base,
    waves: planned,
    outcome: "planned",
    message: `Dry run: ${waves.length} wave${waves.length === 1 ? "" : "s"} planned, nothing written or deployed.`,
  };
  return { report, waves, text, start, rollout };
}

export async function upgrade(req: UpgradeRequest, rt: Runtime): Promise<UpgradeReport> {
  const { report: plan, waves, text: original, start, rollout } = planUpgrade(req, rt.stacksDir);
  if (plan.outcome === "nothing-to-do") return plan;
  const { stack, from, to, resumed } = plan;
  const base = { ...plan, waves: [] };
  const reports: WaveReport[] = plan.waves.map((w) => ({ ...w, status: "not-run" }));
  const cwd = projectDirOf(req.file);
  await preflight(rt, start, waves);
  if (resumed.length > 0) rt.log(`Resuming: ${list(resumed)} already run the new images (rollout.creators).`);
  let text = original;
  for (const [i, wave] of waves.entries()) {
    rollout.creators = [...rollout.creators, ...wave.creators];
    text = withRollout(text, rollout);
    const config = write(req.file, text, rt);
    rt.log(`${waveName(wave, waves.length)}: ${list(wave.creators)}: pulumi up…`);
    const done = await runWave(rt, stack, cwd, config, reports[i] as WaveReport);
    reports[i] = done;
    logWave(rt, waves.length, done);
    if (done.status === "failed") {
      const advice = rollbackAdvice(req, stack, wave.creators);
      return {
        ...base,
        waves: reports,
        outcome: "failed",
        rollback: advice,
        message:
          `Wave ${wave.index}/${waves.length} failed: ${done.failure?.creator ?? "the wave"}: ${done.failure?.reason ?? ""}\n` +
          `Stopped: the waves after it did not run. ${req.file} keeps rollout.creators with this wave's ids (${list(wave.creators)}).\n` +
          `Roll this wave back to ghost ${from.ghost}, sqld ${from.sqld}: ${advice.command}\n` +
          `  (by hand: ${advice.byHand})\n` +
          `Roll every creator back: ${advice.all}\n` +
          `Or fix the cause and run the same upgrade command again: it resumes with this wave.`,
      };
    }
  }
  // Every wave passed: the new images become the stack's, and the rollout key goes.
  text = withRollout(withImages(text, req.images), undefined);
  write(req.file, text, rt);
  rt.log("every wave passed: images.* set to the new images, rollout removed; pulumi up (no change in the cluster)…");
  const last = await rt.pulumiUp(stack, cwd).done;
  if (last.code !== 0) {
    return {
      ...base,
      waves: reports,
      outcome: "failed",
      message: `Every wave passed and ${req.file} now names the new images under images, but the last pulumi up failed (exit ${last.code}); run it again: pulumi up --stack ${stack}\n${last.tail}`,
    };
  }
  return {
    ...base,
    waves: reports,
    outcome: "upgraded",
    finish: { pulumiSeconds: Math.round(last.seconds) },
    message: `Stack ${stack} upgraded in ${waves.length} wave${waves.length === 1 ? "" : "s"}: ghost ${to.ghost}, sqld ${to.sqld}. Commit ${req.file} (images set, rollout removed).`,
  };
}

/** Before anything is written: the cluster is this stack's, and the canaries are healthy on their current images. */
async function preflight(rt: Runtime, config: ResolvedConfig, waves: Wave[]): Promise<void> {
  const first = waves[0];
  if (!first) return;
  const active = first.creators.filter((id) => !first.idle.includes(id));
  for (const id of active) {
    let verdict: Verdict;
    try {
      const { deployment, pods } = await rt.cluster.workload(id);
      if (!deployment) throw new UpgradeError("cluster", `${rt.cluster.where} has no Deployment ghost in creator-${id}: is it this stack's cluster, and is the stack deployed (pulumi up)? Nothing was written.`);
      verdict = rolloutVerdict("active", deployment, pods, expectedFor(config, id), { now: Date.now(), unschedulableGraceMs: rt.timing.unschedulableGraceMs });
    } catch (error) {
      if (error instanceof UpgradeError) throw error;
      throw new UpgradeError("cluster", `cannot read the cluster: ${(error as Error).message}. Nothing was written.`);
    }
    if (verdict.status !== "done") {
      throw new UpgradeError("cluster", `${id} is not healthy before the upgrade (${verdict.reason}): fix it or choose other canaries. Nothing was written.`);
    }
  }
}

export interface RollbackRequest {
  file: string;
  stackArg: string;
  /** The creators to put back on the stack's images; undefined: every creator of the rollout. */
  creators: string[] | undefined;
}

export async function rollback(req: RollbackRequest, rt: Runtime): Promise<UpgradeReport> {
  const stack = stackNameOf(req.file);
  const { text, config } = load(req.file, rt);
  const from = stackImages(config);
  const current = config.rollout;
  const to: ExpectedImages = { ghost: current?.ghost ?? from.ghost, sqld: current?.sqld ?? from.sqld };
  const base = { action: "rollback" as const, stack, file: req.file, from: to, to: from, resumed: [] };
  if (!current) return { ...base, waves: [], outcome: "nothing-to-do", message: `${req.file}: no rollout under way: every creator runs images.ghost / images.sqld already.` };
  const ids = req.creators ?? current.creators;
  const unknown = ids.filter((id) => !current.creators.includes(id));
  if (unknown.length > 0) {
    throw new UpgradeError("usage", `--rollback: ${list(unknown)} ${unknown.length === 1 ? "is" : "are"} not in rollout.creators (${list(current.creators) || "none"})`);
  }
  const left = current.creators.filter((id) => !ids.includes(id));
  const after = withRollout(text, left.length > 0 ? { ...current, creators: left } : undefined);
  const cwd = projectDirOf(req.file);
  // Pulumi's state may not hold what an interrupted wave applied: read it from the cluster first.
  const refreshed = await rt.refresh(stack, cwd, ids);
  if (refreshed.code !== 0) {
    throw new UpgradeError("pulumi", `pulumi refresh of ${list(ids)}'s Deployments failed (exit ${refreshed.code}); nothing was written. Roll back by hand: ${rollbackAdvice(req, stack, ids).byHand}\n${refreshed.tail}`);
  }
  const written = write(req.file, after, rt);
  rt.log(`rollback of ${list(ids)} to ghost ${from.ghost}, sqld ${from.sqld}: pulumi up…`);
  const idle = ids.filter((id) => written.creators.find((c) => c.id === id)?.state !== "active");
  const done = await runWave(rt, stack, cwd, written, { index: 1, kind: "rollback", creators: ids, idle, status: "not-run", checks: [] });
  logWave(rt, 1, done);
  if (done.status === "failed") {
    return {
      ...base,
      waves: [done],
      outcome: "failed",
      message: `The rollback was written (${req.file}) but ${done.failure?.creator ?? "the wave"} is not back: ${done.failure?.reason ?? ""}\nSee docs/runbooks/upgrade-in-waves.md (a rollback that does not come back).`,
    };
  }
  return {
    ...base,
    waves: [done],
    outcome: "rolled-back",
    message: `Rolled back ${list(ids)} to ghost ${from.ghost}, sqld ${from.sqld}.${left.length > 0 ? ` Still on the new images: ${list(left)} (rollout.creators).` : " No rollout is left: the stack file names only images.*."}`,
  };
}
