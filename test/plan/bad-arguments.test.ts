/**
 * Bad command lines, as a careless operator types them: each exits 2 with a
 * message naming the option, the value and the reason, no stack trace, and
 * writes nothing. Every path option is checked before any work starts.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "bad-args-"));
const file = join(dir, "a-file");
writeFileSync(file, "not a directory");
const dbs = join(dir, "dbs");

const run = (script: string, args: string[]) => spawnSync(process.execPath, ["--import", "tsx", join("scripts", script), ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });

/** [what, script, args, message]. */
const CASES: Array<[string, string, string[], RegExp]> = [
  ["--out is a file", "plan.ts", ["--stack", "dev", "--out", file], /--out: .*a-file is a file, not a directory/],
  ["--out under a file", "plan.ts", ["--stack", "dev", "--out", join(file, "sub")], /--out: .*a-file\/sub is under .*a-file, which is a file/],
  ["--out on /proc", "plan.ts", ["--stack", "dev", "--out", "/proc/creators"], /--out: \/proc\/creators is on a special filesystem/],
  ["--out on /dev", "plan.ts", ["--stack", "dev", "--out", "/dev/null/x"], /--out: \/dev\/null\/x is on a special filesystem/],
  ["an unknown option", "plan.ts", ["--stack", "dev", "--outt", dir], /unknown option '--outt'/],
  ["a stack that does not exist", "plan.ts", ["--stack", "nowhere"], /--stack: no stack "nowhere"/],
  ["a stack name leaving the stacks directory", "plan.ts", ["--stack", "../etc"], /--stack: "..\/etc" is not a stack name/],
  ["an impossible date", "cost.ts", ["--stack", "dev", "--as-of", "2026-02-30"], /--as-of: 2026-02-30 is not a day of the calendar/],
  ["a month 13", "cost.ts", ["--stack", "dev", "--as-of", "2026-13-01"], /--as-of: 2026-13-01 is not a day of the calendar/],
  ["a date in words", "cost.ts", ["--stack", "dev", "--as-of", "yesterday"], /--as-of takes a date written YYYY-MM-DD, not "yesterday"/],
  ["a backup into a file", "ops.ts", ["backup", "--dir", dbs, "--to", file], /--to: .*a-file is a file, not a directory/],
  ["a backup into /sys", "ops.ts", ["backup", "--dir", dbs, "--to", "/sys/backups"], /--to: \/sys\/backups is on a special filesystem/],
  ["a restore into a path under a file", "ops.ts", ["restore", "--from", dir, "--all", "--dir", join(file, "dbs")], /--dir: .* is under .*a-file, which is a file/],
];

describe("bad command lines", () => {
  it.each(CASES)("%s: exit 2, the option and the reason, nothing written", (what, script, args, message) => {
    const before = readdirSync(dir).sort();
    const r = run(script, args);
    expect(r.status, `${what}: ${r.stderr}`).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(existsSync(join(file, "sub"))).toBe(false);
  });
});
