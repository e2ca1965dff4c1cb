/**
 * Pinned images (never `latest`). A stack may override any of them under
 * `creator-platform:images`, e.g. to roll a new version out region by region, and
 * creator by creator under `creator-platform:rollout` (imagesFor; npm run upgrade).
 */
import type { Rollout } from "./config/schema.ts";
import { GHOST_IMAGE } from "./ghost/contract.ts";

export const DEFAULT_IMAGES = {
  ghost: GHOST_IMAGE,
  /** libSQL server; newest release as of November 2026 (December 2025). */
  sqld: "ghcr.io/tursodatabase/libsql-server:v0.24.33",
  /** The shared cache in front of every creator: nginx built to run as a non-root user. */
  cache: "nginxinc/nginx-unprivileged:1.27.4-alpine",
  /** The sleep engine (infra/platform/sleep-engine.ts), August 2026. */
  sleep: "sablierapp/sablier:1.16.2",
} as const;

export type Images = { [K in keyof typeof DEFAULT_IMAGES]: string } & {
  /** A private registry's pull credentials exist in every creator namespace (IMAGE_PULL_SECRET). */
  pullSecret: boolean;
};

export function resolveImages(overrides: Partial<Record<keyof typeof DEFAULT_IMAGES, string>> & { pullSecret?: unknown }): Images {
  return {
    ghost: overrides.ghost ?? DEFAULT_IMAGES.ghost,
    sqld: overrides.sqld ?? DEFAULT_IMAGES.sqld,
    cache: overrides.cache ?? DEFAULT_IMAGES.cache,
    sleep: overrides.sleep ?? DEFAULT_IMAGES.sleep,
    pullSecret: overrides.pullSecret !== undefined,
  };
}

/**
 * The images one creator runs: the rollout's for a creator it lists (an upgrade in
 * waves, scripts/upgrade.ts), the stack's for every other. The one place the choice is made.
 */
export function imagesFor(creatorId: string, images: Images, rollout: Pick<Rollout, "ghost" | "sqld" | "creators"> | undefined): Images {
  if (!rollout?.creators.includes(creatorId)) return images;
  return { ...images, ghost: rollout.ghost ?? images.ghost, sqld: rollout.sqld ?? images.sqld };
}

/** A registry login as a `kubernetes.io/dockerconfigjson` Secret holds it. */
export function dockerConfigJson(registry: string, username: string, password: string): string {
  const auth = Buffer.from(`${username}:${password}`).toString("base64");
  return JSON.stringify({ auths: { [registry]: { username, password, auth } } });
}
