/** Tables for terminal output: compact, no colour codes (they would end up in piped output). */
import Table from "cli-table3";

export function table(head: string[]): InstanceType<typeof Table> {
  return new Table({
    head,
    style: { head: [], border: [], compact: true },
    chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
  });
}
