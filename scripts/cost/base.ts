/**
 * `--base <file or git ref>`: the other version of the stack file. A path that
 * exists is read as a file; anything else is a git ref, read with
 * `git show <ref>:<path of the stack file>`. A ref without the file is a new stack.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import { loadStackFile } from "../../infra/config/stack-file.ts";
import { ConfigError, type ResolvedConfig } from "../../infra/config/validate.ts";

export interface Base {
  /** What the base is, as shown in the output: a path or `<ref>:<path>`. */
  label: string;
  /** Undefined when the stack file did not exist at that ref. */
  config: ResolvedConfig | undefined;
}

/** --base names neither a file nor a usable git ref: a bad argument (exit 2). */
export class BaseArgumentError extends Error {}

function git(cwd: string, args: string[]): { ok: boolean; stdout: string; stderr: string } {
  const result = spawnSync("git", args, { cwd, encoding: "utf8", maxBuffer: 256 * 2 ** 20 });
  return { ok: result.status === 0, stdout: result.stdout ?? "", stderr: (result.stderr ?? "").trim() };
}

export function loadBase(spec: string, headPath: string): Base {
  if (existsSync(spec)) {
    const path = resolve(spec);
    return { label: path, config: loadStackFile(path).config };
  }
  const dir = dirname(headPath);
  const top = git(dir, ["rev-parse", "--show-toplevel"]);
  if (!top.ok) throw new BaseArgumentError(`--base: ${spec} is not a file, and ${dir} is not in a git repository to read a ref from`);
  if (!git(dir, ["rev-parse", "--verify", "--quiet", `${spec}^{commit}`]).ok) {
    throw new BaseArgumentError(`--base: ${spec} is neither a file nor a git ref (branch, tag or commit)`);
  }
  const path = relative(top.stdout.trim(), headPath).split("\\").join("/");
  const label = `${spec}:${path}`;
  const shown = git(top.stdout.trim(), ["show", label]);
  if (!shown.ok) return { label, config: undefined };
  // The stack file loader reads files; the name keeps the stack's name.
  const tmp = mkdtempSync(join(tmpdir(), "cost-base-"));
  try {
    const file = join(tmp, basename(headPath));
    writeFileSync(file, shown.stdout);
    return { label, config: loadStackFile(file).config };
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(label, error.problems);
    throw error;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
