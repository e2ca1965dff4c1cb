// Which creators an operation covers and where each one's database is: files
// in a directory (<dir>/<creator-id>.db), or the creators of a stack file with a
// URL or path template.
import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { isCreatorId, parseStackCreators, servedCreatorIds, stackOptionPath } from "./stack-entries.ts";
import { UsageError, type SourceOptions } from "./cli-common.ts";

export interface FileCreator {
  id: string;
  path: string;
}

export interface UrlCreator {
  id: string;
  url: string;
  /** Token from --token-env, or … */
  authToken?: string;
  /** … a per-creator file read when the creator's turn comes (a missing file fails that creator only). */
  tokenFile?: string;
}

/** `<dir>/<creator-id>.db` for every such file, sorted by id. */
export function creatorsInDir(dir: string): FileCreator[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new UsageError(`--dir: cannot list ${dir}: ${(e as Error).message}`);
  }
  const ids = names.filter((n) => n.endsWith(".db")).map((n) => n.slice(0, -3)).sort();
  const bad = ids.filter((id) => !isCreatorId(id));
  if (bad.length > 0) {
    throw new UsageError(`--dir: ${bad.map((b) => `${b}.db`).join(", ")}: a file name must be <creator-id>.db with a DNS-1123 label id`);
  }
  return ids.map((id) => ({ id, path: resolve(dir, `${id}.db`) }));
}

/** Fills `{id}` in a template; the template must contain it. */
export function fillTemplate(template: string, id: string, option: string): string {
  if (!template.includes("{id}")) throw new UsageError(`${option}: the template must contain {id}`);
  return template.replaceAll("{id}", id);
}

/** Ids of the served (not retired) creators of a stack. */
export function stackCreatorIds(stacksDir: string, stack: string): string[] {
  const file = stackOptionPath(stack, stacksDir);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`--stack: cannot read ${file}: ${(e as Error).message}`);
  }
  return servedCreatorIds(parseStackCreators(text, file));
}

export interface TokenOptions {
  tokenEnv?: string;
  tokenFile?: string;
}

export function urlCreators(ids: readonly string[], urlTemplate: string, token: TokenOptions): UrlCreator[] {
  let authToken: string | undefined;
  if (token.tokenEnv !== undefined) {
    authToken = process.env[token.tokenEnv];
    if (!authToken) throw new UsageError(`--token-env: environment variable ${token.tokenEnv} is not set`);
  }
  return ids.map((id) => ({
    id,
    url: fillTemplate(urlTemplate, id, "--url-template"),
    ...(authToken !== undefined ? { authToken } : {}),
    ...(token.tokenFile !== undefined ? { tokenFile: fillTemplate(token.tokenFile, id, "--token-file") } : {}),
  }));
}

export function pathCreators(ids: readonly string[], pathTemplate: string): FileCreator[] {
  return ids.map((id) => ({ id, path: resolve(fillTemplate(pathTemplate, id, "--path-template")) }));
}

/** The creator's auth token (reads its token file if it has one). */
export function creatorToken(c: UrlCreator): string | undefined {
  if (c.tokenFile === undefined) return c.authToken;
  return readFileSync(c.tokenFile, "utf8").trim();
}


export type CreatorSource =
  | { kind: "files"; creators: FileCreator[] }
  | { kind: "urls"; creators: UrlCreator[] };

function only<T extends { id: string }>(creators: T[], wanted: readonly string[] | undefined): T[] {
  if (wanted === undefined) return creators;
  const known = new Set(creators.map((c) => c.id));
  const unknown = wanted.filter((id) => !known.has(id));
  if (unknown.length > 0) throw new UsageError(`--creator: not found in the source: ${unknown.join(", ")}`);
  const set = new Set(wanted);
  return creators.filter((c) => set.has(c.id));
}

/** The creators and their databases named by --dir, or --stack with a template. */
export function resolveCreators(o: SourceOptions): CreatorSource {
  if ((o.dir === undefined) === (o.stack === undefined)) throw new UsageError("give exactly one of --dir <path> or --stack <name>");
  if (o.dir !== undefined) {
    if (o.urlTemplate !== undefined || o.pathTemplate !== undefined) {
      throw new UsageError("--url-template and --path-template go with --stack, not --dir");
    }
    return { kind: "files", creators: only(creatorsInDir(o.dir), o.creator) };
  }
  if ((o.urlTemplate === undefined) === (o.pathTemplate === undefined)) {
    throw new UsageError("--stack needs exactly one of --url-template <url> or --path-template <path>");
  }
  if (o.tokenEnv !== undefined && o.tokenFile !== undefined) throw new UsageError("give --token-env or --token-file, not both");
  const ids = stackCreatorIds(o.stacksDir, o.stack as string);
  if (o.pathTemplate !== undefined) return { kind: "files", creators: only(pathCreators(ids, o.pathTemplate), o.creator) };
  return {
    kind: "urls",
    creators: only(urlCreators(ids, o.urlTemplate as string, { ...(o.tokenEnv ? { tokenEnv: o.tokenEnv } : {}), ...(o.tokenFile ? { tokenFile: o.tokenFile } : {}) }), o.creator),
  };
}
