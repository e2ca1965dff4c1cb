/**
 * The oldest Kubernetes the platform runs on, and how a cluster's version is
 * read. Each creator's sqld is a native sidecar (an init container with
 * `restartPolicy: Always`): the SidecarContainers feature is beta and on by
 * default from Kubernetes 1.29 (kubernetes/kubernetes pkg/features/kube_features.go,
 * "beta: v1.29"). On an older API server the field is dropped, sqld becomes an
 * init container that never exits, and Ghost never starts.
 */
export const MIN_KUBERNETES_MINOR = 29;

export interface KubernetesVersion {
  major: number;
  minor: number;
}

/** "1.33", "v1.34.2", "1.30.5-k3s1", "v1.29.3+k3s1", "v1.31.4-gke.100": the major and minor, or undefined. */
export function parseKubernetesVersion(text: string): KubernetesVersion | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+][0-9A-Za-z.+-]*)?$/.exec(text.trim());
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]) };
}

/** Why a version cannot run the platform, or undefined when it can. */
export function kubernetesVersionProblem(text: string): string | undefined {
  const version = parseKubernetesVersion(text);
  if (!version) return `"${text}" is not a Kubernetes version such as 1.33`;
  if (version.major !== 1 || version.minor < MIN_KUBERNETES_MINOR) {
    return `Kubernetes ${version.major}.${version.minor} is too old: the platform needs 1.${MIN_KUBERNETES_MINOR} or newer (native sidecars: sqld runs as one next to Ghost)`;
  }
  return undefined;
}
