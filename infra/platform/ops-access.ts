/**
 * Who may read the creators' read-only sqld tokens: the ServiceAccount `ops` in
 * the platform's ops namespace, where the operations tools run (analytics,
 * backups). A Role in that namespace only, so the grant reaches no creator's
 * namespace and no other Secret kind elsewhere.
 */
import { PLATFORM_NAMESPACES } from "../contract/namespaces.ts";

export const OPS_SERVICE_ACCOUNT = "ops";

export function opsAccess() {
  const namespace = PLATFORM_NAMESPACES.ops;
  const metadata = { name: OPS_SERVICE_ACCOUNT, namespace, labels: { "app.kubernetes.io/part-of": "creator-platform" } };
  const role = "read-sqld-tokens";
  return {
    serviceAccount: { apiVersion: "v1" as const, kind: "ServiceAccount" as const, metadata },
    role: {
      apiVersion: "rbac.authorization.k8s.io/v1" as const,
      kind: "Role" as const,
      metadata: { ...metadata, name: role },
      rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "list"] }],
    },
    roleBinding: {
      apiVersion: "rbac.authorization.k8s.io/v1" as const,
      kind: "RoleBinding" as const,
      metadata: { ...metadata, name: role },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role },
      subjects: [{ kind: "ServiceAccount", name: OPS_SERVICE_ACCOUNT, namespace }],
    },
  };
}
