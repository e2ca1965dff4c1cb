/**
 * The wave plan of an upgrade, decided from the stack's creators alone: the
 * canaries first (one wave, whatever their number), then the other active
 * creators in the order the stack lists them, `waveSize` a wave. Suspended and
 * retired creators run nothing (no pod to check), so they go with the last
 * wave: their Deployment template (a suspended creator's) or nothing at all (a
 * retired one's) changes, and `images` then holds the new images for them. Ids
 * already in `rollout.creators` (an upgrade resumed after a fix) are done.
 */
import type { Creator } from "../../infra/config/schema.ts";

export interface Wave {
  /** 1-based, in the order the waves run. */
  index: number;
  kind: "canaries" | "wave";
  creators: string[];
  /** The creators of this wave that run nothing (suspended, retired). */
  idle: string[];
}

export interface WavePlanInput {
  creators: ReadonlyArray<Pick<Creator, "id" | "state">>;
  canaries: readonly string[];
  waveSize: number;
  /** Ids that already run the new images (rollout.creators of an upgrade under way). */
  done?: readonly string[];
}

/** A plan that cannot be made from these arguments (a usage error: nothing was done). */
export class WavePlanError extends Error {
  override name = "WavePlanError";
}

export function planWaves(input: WavePlanInput): Wave[] {
  const { creators, canaries, waveSize } = input;
  if (!Number.isInteger(waveSize) || waveSize < 1) throw new WavePlanError(`--wave-size: ${waveSize} is not a whole number of creators of at least 1`);
  const done = new Set(input.done ?? []);
  const byId = new Map(creators.map((c) => [c.id, c]));
  const seen = new Set<string>();
  for (const id of canaries) {
    const creator = byId.get(id);
    if (!creator) throw new WavePlanError(`--canaries: "${id}" is not a creator of this stack`);
    if (seen.has(id)) throw new WavePlanError(`--canaries: "${id}" is named twice`);
    seen.add(id);
    if (creator.state !== "active" && !done.has(id)) {
      throw new WavePlanError(`--canaries: "${id}" is ${creator.state}: it runs nothing, so it cannot show that the new images work; name active creators`);
    }
  }
  const first = canaries.filter((id) => !done.has(id));
  const rest = creators.filter((c) => !seen.has(c.id) && !done.has(c.id));
  const active = rest.filter((c) => c.state === "active").map((c) => c.id);
  const idle = rest.filter((c) => c.state !== "active").map((c) => c.id);
  const groups: Array<{ kind: Wave["kind"]; creators: string[] }> = first.length > 0 ? [{ kind: "canaries", creators: first }] : [];
  for (let i = 0; i < active.length; i += waveSize) groups.push({ kind: "wave", creators: active.slice(i, i + waveSize) });
  if (idle.length > 0) {
    const last = groups.at(-1);
    if (last) last.creators.push(...idle);
    else groups.push({ kind: "wave", creators: [...idle] });
  }
  const idleIds = new Set(idle);
  return groups.map((g, i) => ({ index: i + 1, kind: g.kind, creators: g.creators, idle: g.creators.filter((id) => idleIds.has(id)) }));
}
