/**
 * The platform needs Kubernetes 1.29 or newer: the native sidecar that runs
 * sqld (an init container with restartPolicy Always) is beta and on by default
 * from 1.29 (kubernetes/kubernetes pkg/features/kube_features.go, SidecarContainers
 * "beta: v1.29"; read in the indexed 1.30 development tree). Pinned versions are
 * checked by the schema; an existing cluster's version by the program at deploy time.
 */
import { describe, expect, it } from "vitest";
import { validateStackConfig } from "../../infra/config/validate.ts";
import { kubernetesVersionProblem, parseKubernetesVersion } from "../../infra/platform/kubernetes-version.ts";
import { deployChecks } from "../../infra/program.ts";
import { rawConfig, resolvedConfig } from "../support/config.ts";
import { runProgram } from "../support/run-program.ts";

describe("Kubernetes versions", () => {
  it("reads the forms providers and API servers use", () => {
    expect(["1.33", "v1.34.2", "1.30.5-k3s1", "v1.29.3+k3s1", "v1.31.4-gke.100"].map(parseKubernetesVersion)).toEqual([
      { major: 1, minor: 33 },
      { major: 1, minor: 34 },
      { major: 1, minor: 30 },
      { major: 1, minor: 29 },
      { major: 1, minor: 31 },
    ]);
    expect(parseKubernetesVersion("latest")).toBeUndefined();
  });

  it("refuses anything older than 1.29", () => {
    expect(kubernetesVersionProblem("v1.29.0")).toBeUndefined();
    expect(kubernetesVersionProblem("v1.28.15")).toMatch(/1\.28 is too old: the platform needs 1\.29 or newer \(native sidecars/);
  });

  it("pins Civo and Linode to a version that runs native sidecars, in the schema", () => {
    const civo = { provider: "civo", region: "LON1", nodePools: [{ name: "a", size: "g4s.kube.large" }] };
    expect(() => validateStackConfig(rawConfig({ cluster: civo }), "t")).toThrow(/cluster\.kubernetesVersion: (Invalid input|required)/i);
    expect(() => validateStackConfig(rawConfig({ cluster: { ...civo, kubernetesVersion: "1.28.7-k3s1" } }), "t")).toThrow(
      /cluster\.kubernetesVersion: Kubernetes 1\.28 is too old/,
    );
    const lke = { provider: "linode", region: "us-east", kubernetesVersion: "1.27", nodePools: [{ name: "a", type: "g6-standard-2" }] };
    expect(() => validateStackConfig(rawConfig({ cluster: lke }), "t")).toThrow(/cluster\.kubernetesVersion: Kubernetes 1\.27 is too old/);
  });

  it("refuses an existing cluster that reports an older version, before registering anything", async () => {
    deployChecks.clusterVersion = async () => "v1.28.9+k3s1";
    await expect(runProgram(resolvedConfig())).rejects.toThrow(/cluster: the existing cluster runs v1\.28\.9\+k3s1: Kubernetes 1\.28 is too old/);
    deployChecks.clusterVersion = async () => "v1.34.2";
    const { engine } = await runProgram(resolvedConfig());
    expect(engine.registrations.length).toBeGreaterThan(0);
    deployChecks.clusterVersion = undefined;
  });
});
