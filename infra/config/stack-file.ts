/**
 * Reads a stack file (`stacks/Pulumi.<stack>.yaml`) the way Pulumi does: the
 * `config:` map, keys namespaced `<namespace>:<key>` (a bare key belongs to the
 * project). Used by the offline plan, the cost report and the operations tools;
 * `pulumi up` reads the same keys through Pulumi's own config.
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { type Document, LineCounter, isScalar, parseDocument, visit } from "yaml";
import { SECRET_KEYS } from "../contract/names.ts";
import { decodeConfigValue, pulumiConfigValue } from "./config-values.ts";
import { ConfigError, type Problem, type ResolvedConfig, validateStackConfig, withLines } from "./validate.ts";
import { regionProblems, shippedPriceTable } from "../cost/prices.ts";

export const PROJECT = "creator-platform";
export const STACKS_DIR = resolve(import.meta.dirname, "../../stacks");

export interface StackFile {
  stack: string;
  path: string;
  /** Every key of `config:`, as written (namespaced). Secure values are replaced by a placeholder. */
  config: Record<string, unknown>;
  /** Secrets `pulumi up` requires that the file does not set yet (the offline plan stands in for them and says so). */
  unsetSecrets: string[];
  /** The line of a problem's path in the file. */
  locate: Locate;
}

/** Offline runs cannot decrypt `secure:` values; they stand in with this text (long enough for every secret's rule). */
export const SECRET_PLACEHOLDER = "offline-placeholder-secret-never-deployed";

/** Secrets every stack needs under `pulumi up`, which a stack file may not have yet (set with `pulumi config set --secret`). */
const REQUIRED_SECRETS = ["sqldKeySeed"];

/** `<dir>/Pulumi.<stack>.yaml`; a name that could reach outside the directory is refused. */
export function stackFilePath(stack: string, dir = STACKS_DIR): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack) || stack.startsWith(".")) throw new Error(`"${stack}" is not a stack name`);
  return join(dir, `Pulumi.${stack}.yaml`);
}

export function stackNameOf(path: string): string {
  return basename(path).replace(/^Pulumi\./, "").replace(/\.ya?ml$/, "");
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function withoutSecrets(value: unknown): unknown {
  if (isRecord(value)) {
    if (Object.keys(value).length === 1 && typeof value.secure === "string") return SECRET_PLACEHOLDER;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutSecrets(v)]));
  }
  return Array.isArray(value) ? value.map(withoutSecrets) : value;
}

export function readStackFile(path: string): StackFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(path, [{ path: "(file)", message: `cannot read: ${(error as Error).message}` }]);
  }
  return { stack: stackNameOf(path), path, ...stackConfigOf(text, path) };
}

/** Where a problem's path (`creators[3].plan`) is in a stack file: its 1-based line. */
export type Locate = (path: string) => number | undefined;

function pathSegments(path: string): Array<string | number> {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : (m[1] as string)));
}

/** Plain data only: no aliases (alias bombs, shared nodes) and no `<<` merge keys. */
function notPlainData(doc: Document, counter: LineCounter): Problem[] {
  const problems: Problem[] = [];
  const at = (node: { range?: [number, number, number] | null } | null | undefined) => {
    const pos = node?.range ? counter.linePos(node.range[0]) : undefined;
    return pos ? ` (line ${pos.line}, column ${pos.col})` : "";
  };
  visit(doc, {
    Alias(_, node) {
      problems.push({ path: "(yaml)", message: `aliases (*${node.source}) are not allowed in a stack file${at(node)}: write the value out` });
    },
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === "<<") problems.push({ path: "(yaml)", message: `merge keys (<<) are not allowed in a stack file${at(pair.key)}: write the keys out` });
    },
  });
  return problems;
}

/** Distance between two short strings (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

/** Keys whose namespace looks like this project's but is not: their settings would be silently ignored. */
export function lookalikeKeys(keys: readonly string[]): Problem[] {
  return keys.flatMap((key) => {
    const namespace = key.split(":")[0] ?? "";
    if (!key.includes(":") || namespace === PROJECT) return [];
    const squashed = namespace.toLowerCase().replace(/[^a-z]/g, "");
    if (editDistance(namespace.toLowerCase(), PROJECT) > 3 && squashed !== PROJECT.replace(/-/g, "")) return [];
    return [{ path: key, message: `unknown namespace "${namespace}": did you mean ${PROJECT}:${key.slice(namespace.length + 1)}? Keys under a misspelt namespace are ignored by the program` }];
  });
}

/** Secrets written as plain text; under `pulumi up`, `isSecret` says whether Pulumi holds the key as a secret. */
export function plainTextSecrets(config: Record<string, unknown>, isSecret: (key: string) => boolean): Problem[] {
  return SECRET_KEYS.flatMap((key) => {
    const full = `${PROJECT}:${key}`;
    if (config[full] === undefined || config[full] === SECRET_PLACEHOLDER || isSecret(full)) return [];
    return [{ path: key, message: `is a secret written in plain text: delete the line and run \`pulumi config set --secret ${key} <value>\` instead` }];
  });
}

/**
 * The `config:` map of a stack file's text, keys namespaced, secure values
 * replaced, and a placeholder for each required secret not set yet. Refused:
 * YAML that is not plain data, misspelt project namespaces, plain-text secrets.
 */
export function stackConfigOf(text: string, path: string): Pick<StackFile, "config" | "unsetSecrets" | "locate"> {
  const counter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, merge: false, lineCounter: counter });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      path,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        const where = pos ? ` (line ${pos.line}, column ${pos.col})` : "";
        return { path: "(yaml)", message: `${(e.message.split("\n")[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, "")}${where}` };
      }),
    );
  }
  const shape = notPlainData(doc, counter);
  if (shape.length > 0) throw new ConfigError(path, shape);
  const root: unknown = doc.toJS();
  if (!isRecord(root) || !isRecord(root.config)) {
    throw new ConfigError(path, [{ path: "config", message: "the file needs a top-level config: map" }]);
  }
  const raw = root.config;
  const config: Record<string, unknown> = {};
  const keyOf = new Map<string, string>();
  for (const [key, value] of Object.entries(raw)) {
    const namespaced = key.includes(":") ? key : `${PROJECT}:${key}`;
    config[namespaced] = withoutSecrets(value);
    keyOf.set(namespaced, key);
  }
  // A `secure:` value is the placeholder by now: whatever else a secret key holds is plain text.
  const problems = [...lookalikeKeys(Object.keys(raw)), ...plainTextSecrets(config, () => false)];
  if (problems.length > 0) throw new ConfigError(path, problems);
  const unsetSecrets = REQUIRED_SECRETS.filter((key) => config[`${PROJECT}:${key}`] === undefined);
  for (const key of unsetSecrets) config[`${PROJECT}:${key}`] = SECRET_PLACEHOLDER;
  const locate: Locate = (problemPath) => {
    const [first, ...rest] = pathSegments(problemPath);
    const fileKey = keyOf.get(`${PROJECT}:${String(first)}`);
    if (fileKey === undefined) return undefined;
    for (let n = rest.length; n >= 0; n--) {
      const node = doc.getIn(["config", fileKey, ...rest.slice(0, n)], true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return counter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  return { config, unsetSecrets, locate };
}

/**
 * The project's own keys, without the `creator-platform:` prefix, each read the
 * way `pulumi up` reads it (config-values.ts): values from a stack file and the
 * strings Pulumi hands the program give the same result.
 */
export function projectKeys(config: Record<string, unknown>): Record<string, unknown> {
  const prefix = `${PROJECT}:`;
  return Object.fromEntries(
    Object.entries(config)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => {
        const name = key.slice(prefix.length);
        return [name, decodeConfigValue(name, pulumiConfigValue(value))];
      }),
  );
}

/** The creator ids and custom domains of every other stack file beside `path` (unreadable ones are skipped: theirs is their own plan). */
function otherStacks(path: string): Array<{ stack: string; ids: Map<string, string | undefined>; domains: Set<string> }> {
  const dir = dirname(resolve(path));
  const self = basename(path);
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((f) => /^Pulumi\..+\.ya?ml$/.test(f) && f !== self);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    try {
      const raw = projectKeys(stackConfigOf(readFileSync(join(dir, name), "utf8"), name).config).creators;
      const creators = Array.isArray(raw) ? (raw as Array<{ id?: unknown; domains?: unknown; movingTo?: unknown }>) : [];
      return [
        {
          stack: stackNameOf(name),
          ids: new Map(creators.filter((c) => typeof c.id === "string").map((c) => [c.id as string, typeof c.movingTo === "string" ? c.movingTo : undefined])),
          domains: new Set(creators.flatMap((c) => (Array.isArray(c.domains) ? c.domains.filter((d): d is string => typeof d === "string") : []))),
        },
      ];
    } catch {
      return [];
    }
  });
}

/**
 * A creator id or custom domain must be one stack's alone in the repository's
 * stacks directory:
 * backups and the creator's bucket prefix are keyed by id, and a domain can point
 * at one cluster. A move in progress (`movingTo` on either side) is the exception.
 */
export function crossStackProblems(path: string, config: ResolvedConfig, locate?: Locate, repositoryStacks = STACKS_DIR): Problem[] {
  // The repository's stacks only: a file elsewhere (a copy under review, a test's) stands alone.
  if (dirname(resolve(path)) !== resolve(repositoryStacks)) return [];
  const here = stackNameOf(path);
  const others = otherStacks(path);
  const problems: Problem[] = [];
  config.creators.forEach((creator, i) => {
    for (const other of others) {
      const moving = creator.movingTo === other.stack || (other.ids.has(creator.id) && other.ids.get(creator.id) === here);
      if (other.ids.has(creator.id) && !moving) {
        problems.push({
          path: `creators[${i}].id`,
          message: `"${creator.id}" is also a creator of stack ${other.stack} (backups are kept by creator id): remove one, or mark a move in progress with movingTo: ${other.stack}`,
        });
      }
      creator.domains.forEach((domain, j) => {
        if (other.domains.has(domain) && !moving) {
          problems.push({ path: `creators[${i}].domains[${j}]`, message: `${domain} is also a domain of a creator of stack ${other.stack}` });
        }
      });
    }
  });
  return withLines(problems, locate);
}

/** A stack file read, validated and checked against the repository's other stacks (what every command plans from). */
export function loadStackFile(path: string): { stack: string; config: ResolvedConfig; file: StackFile } {
  const file = readStackFile(path);
  const config = validateStackConfig(projectKeys(file.config), path, file.locate);
  const clashes = [...crossStackProblems(path, config, file.locate), ...withLines(regionProblems(config.cluster, shippedPriceTable()), file.locate)];
  if (clashes.length > 0) throw new ConfigError(path, clashes);
  return { stack: file.stack, config, file };
}
