/**
 * `--base <file or git ref>` of `npm run cost` and `npm run plan`: the other
 * version of a stack file. A path that exists is read as a file; anything else
 * is a git ref, read with `git show <ref>:<path of the stack file from the
 * repository's root>`. A ref without the file is a new stack. Only the stack
 * file is taken from the ref: the code that reads it is the checked-out one.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";

/** --base names neither a file nor a usable git ref: a bad argument (exit 2). */
export class BaseArgumentError extends Error {}

export interface BaseStackFile {
  /** What the base is, as shown in the output: a path or `<ref>:<path>`. */
  label: string;
  /**
   * A copy of the base version named like the head's file (the stack's name
   * comes from the file name), or undefined when the ref has no such file.
   */
  file: string | undefined;
  /** Removes the copy. */
  remove(): void;
}

function git(cwd: string, args: string[]): { ok: boolean; stdout: string } {
  const result = spawnSync("git", args, { cwd, encoding: "utf8", maxBuffer: 256 * 2 ** 20 });
  return { ok: result.status === 0, stdout: result.stdout ?? "" };
}

/** The text of the base version, or undefined when the ref has no such file. */
function baseText(spec: string, headPath: string): { label: string; text: string | undefined } {
  if (existsSync(spec)) {
    const path = resolve(spec);
    return { label: path, text: readFileSync(path, "utf8") };
  }
  const real = realpathSync(headPath);
  const dir = dirname(real);
  const top = git(dir, ["rev-parse", "--show-toplevel"]);
  if (!top.ok) throw new BaseArgumentError(`--base: ${spec} is not a file, and ${dirname(headPath)} is not in a git repository to read a ref from`);
  if (!git(dir, ["rev-parse", "--verify", "--quiet", `${spec}^{commit}`]).ok) {
    throw new BaseArgumentError(`--base: ${spec} is neither a file nor a git ref (branch, tag or commit)`);
  }
  const label = `${spec}:${relative(top.stdout.trim(), real).split("\\").join("/")}`;
  const shown = git(top.stdout.trim(), ["show", label]);
  return { label, text: shown.ok ? shown.stdout : undefined };
}

export function baseStackFile(spec: string, headPath: string): BaseStackFile {
  const { label, text } = baseText(spec, headPath);
  if (text === undefined) return { label, file: undefined, remove: () => {} };
  const dir = mkdtempSync(join(tmpdir(), "stack-base-"));
  const file = join(dir, basename(headPath));
  writeFileSync(file, text);
  return { label, file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
