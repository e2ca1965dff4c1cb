/**
 * Reads a stack file (`stacks/Pulumi.<stack>.yaml`) the way Pulumi does: the
 * `config:` map, keys namespaced `<namespace>:<key>` (a bare key belongs to the
 * project). Used by the offline plan, the cost report and the operations tools;
 * `pulumi up` reads the same keys through Pulumi's own config.
 */
import { readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseDocument } from "yaml";
import { decodeConfigValue, pulumiConfigValue } from "./config-values.ts";
import { ConfigError, type ResolvedConfig, validateStackConfig } from "./validate.ts";

export const PROJECT = "creator-platform";
export const STACKS_DIR = resolve(import.meta.dirname, "../../stacks");

export interface StackFile {
  stack: string;
  path: string;
  /** Every key of `config:`, as written (namespaced). Secure values are replaced by a placeholder. */
  config: Record<string, unknown>;
  /** Secrets `pulumi up` requires that the file does not set yet (the offline plan stands in for them and says so). */
  unsetSecrets: string[];
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

/**
 * The `config:` map of a stack file's text, keys namespaced, secure values
 * replaced, and a placeholder for each required secret not set yet.
 */
export function stackConfigOf(text: string, path: string): Pick<StackFile, "config" | "unsetSecrets"> {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      path,
      doc.errors.map((e) => ({ path: "(yaml)", message: e.message.split("\n")[0] ?? e.message })),
    );
  }
  const root: unknown = doc.toJS();
  if (!isRecord(root) || !isRecord(root.config)) {
    throw new ConfigError(path, [{ path: "config", message: "the file needs a top-level config: map" }]);
  }
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(root.config)) {
    config[key.includes(":") ? key : `${PROJECT}:${key}`] = withoutSecrets(value);
  }
  const unsetSecrets = REQUIRED_SECRETS.filter((key) => config[`${PROJECT}:${key}`] === undefined);
  for (const key of unsetSecrets) config[`${PROJECT}:${key}`] = SECRET_PLACEHOLDER;
  return { config, unsetSecrets };
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

export function loadStackFile(path: string): { stack: string; config: ResolvedConfig } {
  const file = readStackFile(path);
  return { stack: file.stack, config: validateStackConfig(projectKeys(file.config), path) };
}
