/**
 * Kubernetes resource quantities as numbers: CPU in millicores, memory and
 * storage in bytes. The schema has already checked the syntax.
 */
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

export function cpuMillis(quantity: string): number {
  return quantity.endsWith("m") ? Number(quantity.slice(0, -1)) : Math.round(Number(quantity) * 1000);
}

export function bytes(quantity: string): number {
  const match = /^([0-9.]+)([A-Za-z]*)$/.exec(quantity);
  if (!match) throw new Error(`not a quantity: ${quantity}`);
  const [, number = "", suffix = ""] = match;
  const factor = suffix === "" ? 1 : (BINARY[suffix] ?? DECIMAL[suffix]);
  if (factor === undefined) throw new Error(`unknown quantity suffix in ${quantity}`);
  return Math.round(Number(number) * factor);
}

export const MiB = 2 ** 20;
export const GiB = 2 ** 30;

/** Quantities for objects this project writes: CPU as millicores, memory as whole MiB. */
export const formatCpu = (millis: number): string => `${Math.ceil(millis)}m`;
export const formatMiB = (byteCount: number): string => `${Math.ceil(byteCount / MiB)}Mi`;
