/**
 * How one stack-config value is read, decided once for every path: `pulumi up`
 * (the CLI hands the program strings), the offline plan, the cost report and
 * the operations tools (which read the stack file's YAML).
 *
 * The Pulumi CLI passes each top-level config value as a string: a YAML string
 * as it is, any other scalar in its text form, an object or list as JSON
 * (pulumi/pulumi v3.248.0, sdk/go/common/resource/config/value.go and
 * sdk/nodejs/runtime/config.ts, where `PULUMI_CONFIG` is a JSON map of strings).
 * The program cannot tell the string "20261127" from the number 20261127, so the
 * schema decides: a key whose schema is a string keeps the text; every other key
 * is JSON-decoded.
 */
import { z } from "zod";
import { stackConfigSchema } from "./schema.ts";

/** What the Pulumi CLI hands the program for a value written in a stack file. */
export function pulumiConfigValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (value !== null && typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodDefault) current = current.unwrap() as z.ZodType;
  return current;
}

const shape = stackConfigSchema.shape as Record<string, z.ZodType>;

/** True when the project key's schema is a plain string (secrets, tokens): its text is never JSON-decoded. */
export function isStringKey(key: string): boolean {
  return unwrap(shape[key]) instanceof z.ZodString;
}

/** The value of one project key (without the `creator-platform:` prefix), from the string Pulumi passes. */
export function decodeConfigValue(key: string, text: string): unknown {
  if (isStringKey(key)) return text;
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON: left as text for the schema to reject with its own message (e.g. "expected number").
    return text;
  }
}
