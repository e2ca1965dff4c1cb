/**
 * `npm run cost -- --base <file or git ref>`: the other version of the stack
 * file, validated (scripts/base-ref.ts finds and reads it).
 */
import { loadStackFile } from "../../infra/config/stack-file.ts";
import { ConfigError, type ResolvedConfig } from "../../infra/config/validate.ts";
import { BaseArgumentError, baseStackFile } from "../base-ref.ts";

export { BaseArgumentError };

export interface Base {
  /** What the base is, as shown in the output: a path or `<ref>:<path>`. */
  label: string;
  /** Undefined when the stack file did not exist at that ref. */
  config: ResolvedConfig | undefined;
}

export function loadBase(spec: string, headPath: string): Base {
  const base = baseStackFile(spec, headPath);
  try {
    return { label: base.label, config: base.file ? loadStackFile(base.file).config : undefined };
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(base.label, error.problems);
    throw error;
  } finally {
    base.remove();
  }
}
