/**
 * Option values every command checks the same way, before any work: a real
 * calendar date, and a directory that can be written. A bad value is a usage
 * error (exit 2) with the option, the value and the reason; never a hang and
 * never a stack trace.
 */
import { accessSync, constants, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { InvalidArgumentError } from "commander";

/** YYYY-MM-DD that names a day that exists (no 2026-02-30). */
export function calendarDate(option: string): (value: string) => string {
  return (value) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new InvalidArgumentError(`${option} takes a date written YYYY-MM-DD, not "${value}"`);
    const day = new Date(`${value}T00:00:00Z`);
    if (Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== value) {
      throw new InvalidArgumentError(`${option}: ${value} is not a day of the calendar`);
    }
    return value;
  };
}

/** Where the kernel keeps what is not files: nothing is written there. */
const SPECIAL = ["/proc", "/sys", "/dev"];

/**
 * Why `path` cannot be a directory this command writes into, or undefined when
 * it can. Nothing is created: the command makes the directory when it writes.
 */
export function unwritableDirectory(path: string): string | undefined {
  const absolute = resolve(path);
  // The nearest part of the path that exists says what the rest can be.
  let existing = absolute;
  for (;;) {
    try {
      statSync(existing);
      break;
    } catch {
      const parent = dirname(existing);
      if (parent === existing) break;
      existing = parent;
    }
  }
  const real = realpathSync(existing);
  if (SPECIAL.some((s) => real === s || real.startsWith(`${s}/`))) return `${absolute} is on a special filesystem (${real}), not a directory for files`;
  if (!statSync(real).isDirectory()) {
    return existing === absolute ? `${absolute} is a file, not a directory` : `${absolute} is under ${existing}, which is a file`;
  }
  try {
    accessSync(real, constants.W_OK);
    // A read-only mount passes access() for root: a real write says (and is removed at once).
    const probe = join(real, `.write-test-${process.pid}`);
    writeFileSync(probe, "");
    rmSync(probe);
  } catch (error) {
    return `${absolute} cannot be written: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
  }
  return undefined;
}

/** An option parser for a directory the command writes into. */
export function writableDirectory(option: string): (value: string) => string {
  return (value) => {
    const problem = unwritableDirectory(value);
    if (problem) throw new InvalidArgumentError(`${option}: ${problem}`);
    return resolve(value);
  };
}
