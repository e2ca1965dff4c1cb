import { describe, expect, it } from "vitest";
import { PROVIDERS } from "../../infra/cost/providers.ts";

describe("Civo's documented allocatable formula", () => {
  const civo = PROVIDERS.civo;
  it("g4s.kube.large (4 vCPU, 8 GiB)", () => {
    // CPU: 4000m − (6 % of 1000 + 1 % of 1000 + 0.5 % of 2000) = 4000 − (60 + 10 + 10) = 3920m
    // Memory: 8192 − (25 % of 4096 + 20 % of 4096) − 100 − 200 = 8192 − 1843.2 − 300 = 6048.8 → 6048 MiB
    expect(civo.allocatable({ vcpu: 4, memoryGiB: 8 })).toEqual({ cpuMillis: 3920, memoryMiB: 6048 });
  });
  it("g4s.kube.2xlarge (8 vCPU, 32 GiB)", () => {
    // CPU: 8000 − (60 + 10 + 10 + 0.25 % of 4000 = 10) = 7910m
    // Memory: 32768 − (1024 + 819.2 + 819.2 + 6 % of 16384 = 983.04) − 300 = 28822.56 → 28822 MiB
    expect(civo.allocatable({ vcpu: 8, memoryGiB: 32 })).toEqual({ cpuMillis: 7910, memoryMiB: 28822 });
  });
  it("uses the documented fixed reservations on 1 and 2 GiB nodes", () => {
    expect(civo.allocatable({ vcpu: 1, memoryGiB: 1 }).memoryMiB).toBe(487);
    expect(civo.allocatable({ vcpu: 1, memoryGiB: 2 }).memoryMiB).toBe(1336);
    expect(civo.allocatable({ vcpu: 1, memoryGiB: 2 }).cpuMillis).toBe(940);
  });
  it("attaches 1,024 volumes per node", () => {
    expect(civo.volumeAttachLimit({ vcpu: 4, memoryGiB: 8 })).toBe(1024);
  });
});

describe("LKE", () => {
  const linode = PROVIDERS.linode;
  it("estimates allocatable with the same formula and says it is an estimate", () => {
    expect(linode.allocatableIsEstimate).toBe(true);
    // 2 GiB with the tiered formula (no fixed small-node values): 2048 − 512 − 300 = 1236 MiB
    expect(linode.allocatable({ vcpu: 1, memoryGiB: 2 })).toEqual({ cpuMillis: 940, memoryMiB: 1236 });
  });
  it("attaches max(8, RAM GiB) capped at 64, minus the node's two disks", () => {
    expect(linode.volumeAttachLimit({ vcpu: 1, memoryGiB: 2 })).toBe(6); // max(8, 2) − 2
    expect(linode.volumeAttachLimit({ vcpu: 4, memoryGiB: 8 })).toBe(6); // max(8, 8) − 2
    expect(linode.volumeAttachLimit({ vcpu: 6, memoryGiB: 16 })).toBe(14); // 16 − 2
    expect(linode.volumeAttachLimit({ vcpu: 32, memoryGiB: 128 })).toBe(62); // capped at 64 − 2
  });
});
