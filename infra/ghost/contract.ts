/**
 * The Ghost container's contract with CreatorSite: which image, which
 * environment, which paths and which Node flags. Pure data (no Pulumi), so the
 * renderer, the tests and the docs share one source.
 *
 * The image (images/ghost-libsql/) is the official `ghost:<version>-alpine`
 * plus the npm `libsql` driver and a preload module, loaded through
 * NODE_OPTIONS, that hands Ghost a libSQL connection in place of better-sqlite3
 * (see images/ghost-libsql/README.md). Startup order is the pod's job: sqld is a
 * native sidecar whose startup probe (GET /health) must pass before Ghost
 * starts, because an embedded replica fails at once when sqld is unreachable.
 */

import published from "../../images/ghost-libsql/published.json" with { type: "json" };
import { GHOST_PORT } from "../contract/ports.ts";

/** Ghost release the image is built FROM (official `ghost:<v>-alpine`). test:ghost installs the same one. */
export const GHOST_VERSION = "6.65.0";
/** npm `libsql` driver pinned in images/ghost-libsql/package.json. */
export const LIBSQL_DRIVER_VERSION = "0.5.29";
/** Bump when the image changes without a Ghost or driver change (preload fixes). */
export const IMAGE_REVISION = 1;

/** The tag images/ghost-libsql is published under: what it contains, so a tag never changes meaning. */
export const GHOST_IMAGE_TAG = `${GHOST_VERSION}-libsql${LIBSQL_DRIVER_VERSION}-r${IMAGE_REVISION}`;

/**
 * Where the image was published and its digest: the one place the pin lives.
 * `.github/workflows/ghost-image.yml` builds, tests and pushes the image, then
 * proposes the pushed digest here in a pull request. Until then `digest` is
 * null and the plan says the image is not published.
 */
export interface PublishedImage {
  repository: string;
  tag: string;
  digest: string | null;
}
export const PUBLISHED_GHOST_IMAGE: PublishedImage = published;
export const GHOST_IMAGE_REPOSITORY = published.repository;
/** By digest once published (a tag can be moved; a digest cannot). */
export const GHOST_IMAGE = `${published.repository}:${published.tag}${published.digest ? `@${published.digest}` : ""}`;
/** The upstream image it is built from (for docs and the build). */
export const GHOST_BASE_IMAGE = `ghost:${GHOST_VERSION}-alpine`;

/** The official image's user (`node`). */
export const GHOST_UID = 1000;
export const GHOST_GID = 1000;
export { GHOST_PORT };

/** Inside the image. */
export const PRELOAD_MODULE_PATH = "/opt/ghost-libsql/libsql-preload.cjs";
export const LIBSQL_DRIVER_DIR = "/opt/ghost-libsql";

/** Connection modes the preload accepts. `remote` is refused by the image (data-loss hazard). */
export type LibsqlMode = "replica" | "file";

/**
 * V8 flags, measured with `npm run bench:ghost` (Ghost 6.65.0, libsql 0.5.29,
 * Node 22; figures and reasoning in infra/config/plan-sizing.md):
 * - old space 192 MiB: 112 and 96 MiB ran out of heap during the first boot's
 *   migrations (V8 "heap out of memory", Ghost never came up); 128 MiB booted
 *   but halved throughput; 160–256 MiB changed idle RSS by a few MiB only.
 * - semi space 2 MiB: cut warm idle RSS by ~30 MiB (≈200 → ≈170 MiB), the
 *   difference between meeting the 200 MB idle target and missing it.
 */
export const DEFAULT_HEAP_MB = 192;
export const SEMI_SPACE_MB = 2;

/** NODE_OPTIONS for Ghost: the preload module first, then the V8 limits. */
export function ghostNodeOptions(heapMb: number): string {
  if (!Number.isInteger(heapMb) || heapMb < 128) {
    throw new Error(`heapMb: ${heapMb} is invalid: expected an integer number of MiB >= 128 (below that the first boot runs out of heap)`);
  }
  return `--require=${PRELOAD_MODULE_PATH} --max-old-space-size=${heapMb} --max-semi-space-size=${SEMI_SPACE_MB}`;
}

export interface GhostEnvironmentOptions {
  /** Public URL of the site, e.g. https://alice.example.com */
  url: string;
  /** `replica` in production (default of the image); `file` only for dev/tests. */
  mode: LibsqlMode;
  /** sqld's HTTP endpoint inside the pod, e.g. http://127.0.0.1:8080 (replica mode). */
  sqldUrl: string;
  /** Secret holding the JWT Ghost presents to sqld (claim {"a":"rw"}, EdDSA). */
  tokenSecretName: string;
  tokenSecretKey: string;
  /** V8 old-space limit in MiB (see DEFAULT_HEAP_MB and the plan sizing notes). */
  heapMb: number;
  /**
   * Absolute path of the local database file: the embedded replica. Keep it on
   * the creator's persistent volume, under contentPath, so a restart syncs only
   * new frames instead of the whole database.
   */
  localDbPath: string;
  /** Ghost's content directory (themes, images, settings) on the persistent volume. */
  contentPath: string;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef: { name: string; key: string } };
}

function requireAbsolute(field: string, value: string): void {
  if (!value.startsWith("/")) throw new Error(`${field}: ${JSON.stringify(value)} must be an absolute path`);
}

/**
 * The Ghost container's environment. Ghost reads `a__b` variables as config
 * keys; the LIBSQL_* variables are read by the preload module.
 */
export function ghostEnvironment(o: GhostEnvironmentOptions): EnvVar[] {
  requireAbsolute("localDbPath", o.localDbPath);
  requireAbsolute("contentPath", o.contentPath);
  if (!/^https?:\/\//.test(o.url)) throw new Error(`url: ${JSON.stringify(o.url)} must be an http(s) URL`);
  const env: EnvVar[] = [
    { name: "NODE_ENV", value: "production" },
    { name: "url", value: o.url },
    { name: "database__client", value: "better-sqlite3" },
    // A local file path: Ghost would turn a URL here into a file path.
    { name: "database__connection__filename", value: o.localDbPath },
    { name: "paths__contentPath", value: o.contentPath },
    // The official entrypoint seeds themes etc. into $GHOST_CONTENT when missing.
    { name: "GHOST_CONTENT", value: o.contentPath },
    { name: "server__host", value: "0.0.0.0" },
    { name: "server__port", value: String(GHOST_PORT) },
    { name: "logging__transports", value: '["stdout"]' },
    // No outbound pings from thousands of pods (no feature depends on them).
    { name: "privacy__useUpdateCheck", value: "false" },
    { name: "privacy__useRpcPing", value: "false" },
    { name: "NODE_OPTIONS", value: ghostNodeOptions(o.heapMb) },
    { name: "LIBSQL_MODE", value: o.mode },
    { name: "LIBSQL_LOCAL_PATH", value: o.localDbPath },
    { name: "LIBSQL_DRIVER_DIR", value: LIBSQL_DRIVER_DIR },
  ];
  if (o.mode === "replica") {
    if (!/^(https?|libsql):\/\//.test(o.sqldUrl)) {
      throw new Error(`sqldUrl: ${JSON.stringify(o.sqldUrl)} must be an http(s):// or libsql:// URL`);
    }
    env.push(
      { name: "LIBSQL_SYNC_URL", value: o.sqldUrl },
      { name: "LIBSQL_AUTH_TOKEN", valueFrom: { secretKeyRef: { name: o.tokenSecretName, key: o.tokenSecretKey } } },
    );
  }
  return env;
}

/**
 * Ghost has no health endpoint: GET /ghost/api/admin/site/ (trailing slash;
 * X-Forwarded-Proto: https when the url is https) answers 200 once Ghost has
 * booted and reached its database.
 */
export const GHOST_PROBE_PATH = "/ghost/api/admin/site/";
/** Measured cold first boot here: 2.5–3 s on a free 2-core machine; budget minutes under a CPU limit. */
export const GHOST_STARTUP_BUDGET_S = 600;
/** sqld's readiness: GET /health on its HTTP port answers 200 with an empty body. */
export const SQLD_HEALTH_PATH = "/health";
