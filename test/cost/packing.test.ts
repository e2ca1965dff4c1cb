import { describe, expect, it } from "vitest";
import { pack } from "../../infra/cost/packing.ts";

const node = { cpuMillis: 1000, memoryMiB: 1000, pods: 10, volumes: 3 };
const pod = (cpuMillis: number, memoryMiB: number, volumes = 0) => ({ cpuMillis, memoryMiB, pods: 1, volumes });
const derived = (capacity = node) => [{ capacity, initial: 0, max: Infinity }];

describe("first-fit decreasing packing", () => {
  it("fills nodes by memory when memory binds", () => {
    // 7 pods of 300 MiB: three per node (900 of 1000 MiB) → ceil(7 / 3) = 3 nodes
    expect(pack(Array.from({ length: 7 }, () => pod(10, 300)), derived()).nodes).toEqual([3]);
  });
  it("places large pods first so small ones fill the gaps", () => {
    // 600 + 400 | 600 + 400 | 300 + 300 + 300: FFD needs 3 nodes; first-fit in this order would need 4
    const pods = [pod(10, 300), pod(10, 300), pod(10, 300), pod(10, 400), pod(10, 400), pod(10, 600), pod(10, 600)];
    expect(pack(pods, derived()).nodes).toEqual([3]);
  });
  it("respects the pod count per node", () => {
    // 25 tiny pods, 10 pods per node → 3 nodes
    expect(pack(Array.from({ length: 25 }, () => pod(1, 1)), derived()).nodes).toEqual([3]);
  });
  it("respects volume attachments per node", () => {
    // 7 pods with a volume each, 3 attachments per node → 3 nodes although CPU and memory are nearly idle
    expect(pack(Array.from({ length: 7 }, () => pod(1, 1, 1)), derived()).nodes).toEqual([3]);
  });
  it("fills fixed nodes first, then grows the first pool that may grow, and reports what does not fit", () => {
    const pools = [
      { capacity: node, initial: 2, max: 2 },
      { capacity: node, initial: 0, max: Infinity },
    ];
    // 5 pods of 500 MiB: 2 per node; the fixed pool takes 4, the second pool opens 1 node
    expect(pack(Array.from({ length: 5 }, () => pod(10, 500)), pools).nodes).toEqual([2, 1]);
    const bounded = pack(Array.from({ length: 5 }, () => pod(10, 500)), [{ capacity: node, initial: 1, max: 2 }]);
    expect(bounded).toMatchObject({ nodes: [2], unplaced: 1, oversized: 0 });
    expect(pack([pod(10, 1500)], derived())).toMatchObject({ unplaced: 1, oversized: 1 });
  });
});
