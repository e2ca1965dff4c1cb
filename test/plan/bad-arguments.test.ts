/**
 * Bad command lines, as a careless operator types them: each exits 2 with a
 * message naming the option, the value and the reason, no stack trace, and
 * writes nothing. Every path option is checked before any work starts.
 *
 * Every case runs the real CLI in this process (test/support/run-cli.ts); one case
 * per CLI also runs as its own process, for the exit status a shell sees.
 */
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Cli, type CliResult, runCli, spawnCli } from "../support/run-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "bad-args-"));
const file = join(dir, "a-file");
writeFileSync(file, "not a directory");
const dbs = join(dir, "dbs");

/** [what, CLI, args, message]. */
const CASES: Array<[string, Cli, string[], RegExp]> = [
  ["--out is a file", "plan.ts", ["--stack", "dev", "--out", file], /--out: .*a-file is a file, not a directory/],
  ["--out under a file", "plan.ts", ["--stack", "dev", "--out", join(file, "sub")], /--out: .*a-file\/sub is under .*a-file, which is a file/],
  ["--out on /proc", "plan.ts", ["--stack", "dev", "--out", "/proc/creators"], /--out: \/proc\/creators is on a special filesystem/],
  ["--out on /dev", "plan.ts", ["--stack", "dev", "--out", "/dev/null/x"], /--out: \/dev\/null\/x is on a special filesystem/],
  ["an unknown option", "plan.ts", ["--stack", "dev", "--outt", dir], /unknown option '--outt'/],
  ["no stack at all", "plan.ts", [], /give --stack <name> or --config <file>/],
  ["a stack that does not exist", "plan.ts", ["--stack", "nowhere"], /--stack: no stack "nowhere" \(stacks: .*dev/],
  ["a stack name leaving the stacks directory", "plan.ts", ["--stack", "../etc"], /--stack: "..\/etc" is not a stack name/],
  ["a stack file that does not exist", "plan.ts", ["--config", join(dir, "Pulumi.none.yaml")], /--config: no such file: .*Pulumi\.none\.yaml/],
  ["an impossible date", "cost.ts", ["--stack", "dev", "--as-of", "2026-02-30"], /--as-of: 2026-02-30 is not a day of the calendar/],
  ["a month 13", "cost.ts", ["--stack", "dev", "--as-of", "2026-13-01"], /--as-of: 2026-13-01 is not a day of the calendar/],
  ["a date in words", "cost.ts", ["--stack", "dev", "--as-of", "yesterday"], /--as-of takes a date written YYYY-MM-DD, not "yesterday"/],
  ["an output format that does not exist", "cost.ts", ["--stack", "dev", "--format", "html"], /argument 'html' is invalid. Allowed choices are table, markdown/],
  ["a cost report of no stack", "cost.ts", [], /give --stack <name> or --config <file>/],
  ["a cost report of a stack that does not exist", "cost.ts", ["--stack", "no-such-stack"], /--stack: no stack "no-such-stack"/],
  ["a backup into a file", "ops.ts", ["backup", "--dir", dbs, "--to", file], /--to: .*a-file is a file, not a directory/],
  ["a backup into /sys", "ops.ts", ["backup", "--dir", dbs, "--to", "/sys/backups"], /--to: \/sys\/backups is on a special filesystem/],
  ["a restore into a path under a file", "ops.ts", ["restore", "--from", dir, "--all", "--dir", join(file, "dbs")], /--dir: .* is under .*a-file, which is a file/],
];

function expectRefused(what: string, r: CliResult, message: RegExp, before: string[]): void {
  expect(r.code, `${what}: ${r.stderr}`).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
  expect(readdirSync(dir).sort()).toEqual(before);
  expect(existsSync(join(file, "sub"))).toBe(false);
}

describe("bad command lines", () => {
  it.each(CASES)("%s: exit 2, the option and the reason, nothing written", async (what, cli, args, message) => {
    const before = readdirSync(dir).sort();
    expectRefused(what, await runCli(cli, args), message, before);
  });

  // The same through a real process, once per CLI: the status a shell sees is 2, and stderr says why.
  const spawned = CASES.filter(([what]) => ["--out is a file", "an impossible date", "a backup into a file"].includes(what));
  it.each(spawned)("%s, as its own process: exit 2", (what, cli, args, message) => {
    const before = readdirSync(dir).sort();
    expectRefused(what, spawnCli(cli, args), message, before);
  });
});

describe("every command under --json", () => {
  // scripts/cli-output.ts: stdout holds exactly one JSON document, the error included; stderr says it for people.
  const JSON_CASES: Array<[Cli, string[], 1 | 2, RegExp]> = [
    ["plan.ts", ["--stack", "nowhere", "--json"], 2, /--stack: no stack "nowhere"/],
    ["cost.ts", ["--stack", "dev", "--bogus", "--json"], 2, /unknown option '--bogus'/],
    ["cost.ts", ["--config", join(dir, "Pulumi.broken.yaml"), "--json"], 1, /problem/],
    ["ops.ts", ["analytics", "--json"], 2, /give exactly one of --dir <path> or --stack <name>/],
    ["creators.ts", ["list", "--stack", "dev", "--bogus", "--json"], 2, /unknown option '--bogus'/],
    ["bench.ts", ["--only", "nothing", "--json"], 2, /--only: unknown benchmark nothing/],
  ];
  writeFileSync(join(dir, "Pulumi.broken.yaml"), "config:\n  creator-platform:cluster: { provider: nowhere }\n");

  it.each(JSON_CASES)("%s %j: one JSON document {error}, exit %i", async (cli, args, code, message) => {
    const r = await runCli(cli, args);
    expect(r.code, r.stderr).toBe(code);
    const document = JSON.parse(r.stdout) as { error: { message: string; exitCode: number } };
    expect(document.error.exitCode).toBe(code);
    expect(document.error.message).toMatch(message);
    expect(r.stderr).toMatch(message);
  });
});

describe("help", () => {
  it("exits 0 with the options, for every command", async () => {
    const plan = await runCli("plan.ts", ["--help"]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/--out <dir>/);
    const cost = await runCli("cost.ts", ["--help"]);
    expect(cost.code).toBe(0);
    expect(cost.stdout).toMatch(/--as-of <date>/);
    for (const command of ["analytics", "backup", "restore", "move"]) {
      const r = await runCli("ops.ts", [command, "--help"]);
      expect(r.code, command).toBe(0);
      expect(r.stdout).toMatch(/Exit codes/);
    }
  });
});
