/**
 * The Pod Security "restricted" profile, applied to every pod and container a
 * creator runs. Writable paths are explicit emptyDirs or the creator's volume.
 */
import type { IIoK8sApiCoreV1PodSecurityContext } from "kubernetes-models/v1/PodSecurityContext";
import type { IIoK8sApiCoreV1SecurityContext } from "kubernetes-models/v1/SecurityContext";

export function podSecurity(fsGroup: number): IIoK8sApiCoreV1PodSecurityContext {
  return {
    runAsNonRoot: true,
    fsGroup,
    // Skip the recursive chown of a volume that already has the right owner: fast restarts.
    fsGroupChangePolicy: "OnRootMismatch",
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Images name their user in different ways; a numeric uid lets the kubelet verify runAsNonRoot. */
export function containerSecurity(uid: number, gid = uid): IIoK8sApiCoreV1SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: gid,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}
