/** A progress bar on stderr for long work, shown only on a terminal and never mixed into --json output. */
import { SingleBar, Presets } from "cli-progress";

export async function withProgress<T>(
  label: string,
  total: number,
  enabled: boolean,
  work: (tick: () => void) => Promise<T>,
): Promise<T> {
  if (!enabled || !process.stderr.isTTY || total === 0) return work(() => {});
  const bar = new SingleBar(
    { format: `${label} [{bar}] {value}/{total} {eta_formatted}`, stream: process.stderr, hideCursor: true },
    Presets.shades_classic,
  );
  bar.start(total, 0);
  try {
    return await work(() => bar.increment());
  } finally {
    bar.stop();
  }
}
