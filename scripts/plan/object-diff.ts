/**
 * What a change does, object by object: two plans' objects keyed by
 * `<Kind>/<namespace>/<name>` compared into objects to create, update (with
 * the paths of the fields that change) and delete, as `terraform plan` shows
 * them. Objects Pulumi retains on delete (a creator's namespace and volume)
 * are "retained": they leave the stack's state and stay in the cluster. Pure:
 * no Pulumi, no files.
 */

export interface PlannedObject {
  /** `<Kind>/<namespace>/<name>`; the namespace is empty for cluster-scoped objects. */
  key: string;
  /** The creator whose site registered it; undefined for the platform's objects. */
  creator?: string;
  /** Registered with retainOnDelete: removing it from the program leaves it in the cluster. */
  retainOnDelete?: boolean;
  /** The object as the program registers it, secrets redacted. */
  body: unknown;
}

/** One field that differs. `from` is absent when the field is added, `to` when it is removed. */
export interface FieldChange {
  path: string;
  from?: unknown;
  to?: unknown;
}

export interface ObjectUpdate {
  key: string;
  creator?: string;
  changes: FieldChange[];
}

export interface ObjectDiff {
  create: PlannedObject[];
  update: ObjectUpdate[];
  delete: PlannedObject[];
  retain: PlannedObject[];
}

export const objectKey = (kind: string, namespace: string | undefined, name: string): string => `${kind}/${namespace ?? ""}/${name}`;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

const field = (path: string, key: string): string => (/^[A-Za-z_$][\w$-]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`);

/** Elements all objects with distinct string names (containers, env, ports, volumes): keyed by name. */
function byName(items: unknown[]): Map<string, unknown> | undefined {
  const named = new Map<string, unknown>();
  for (const item of items) {
    if (!isRecord(item) || typeof item.name !== "string" || named.has(item.name)) return undefined;
    named.set(item.name, item);
  }
  return named;
}

function entryChanges(from: Map<string, unknown>, to: Map<string, unknown>, at: (key: string) => string): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const [key, value] of from) {
    // An undefined value is an absent field (JSON drops it).
    if (value === undefined) continue;
    const other = to.get(key);
    changes.push(...(other === undefined ? [{ path: at(key), from: value }] : fieldChanges(value, other, at(key))));
  }
  for (const [key, value] of to) if (value !== undefined && from.get(key) === undefined) changes.push({ path: at(key), to: value });
  return changes;
}

/**
 * The fields that differ between two versions of an object, in document order:
 * `spec.template.spec.containers[ghost].resources.limits.memory`. Lists of
 * named objects are compared by name (a move shows on the list itself), other
 * lists of objects by position; a list of plain values is one field.
 */
export function fieldChanges(from: unknown, to: unknown, path = ""): FieldChange[] {
  if (isRecord(from) && isRecord(to)) {
    return entryChanges(new Map(Object.entries(from)), new Map(Object.entries(to)), (key) => field(path, key));
  }
  if (Array.isArray(from) && Array.isArray(to) && [...from, ...to].some((v) => typeof v === "object" && v !== null)) {
    const [a, b] = [byName(from), byName(to)];
    if (a && b) {
      // Order matters to Kubernetes (env references earlier entries): a move is a change of the list.
      const [before, after] = [[...a.keys()].filter((n) => b.has(n)), [...b.keys()].filter((n) => a.has(n))];
      const moved = before.some((name, i) => after[i] !== name) ? [{ path, from: before, to: after }] : [];
      return [...moved, ...entryChanges(a, b, (name) => `${path}[${name}]`)];
    }
    const index = (items: unknown[]) => new Map(items.map((v, i) => [String(i), v]));
    return entryChanges(index(from), index(to), (i) => `${path}[${i}]`);
  }
  return JSON.stringify(from) === JSON.stringify(to) ? [] : [{ path, from, to }];
}

/** The base plan's objects against the head's: what applying the head does. */
export function objectDiff(base: PlannedObject[], head: PlannedObject[]): ObjectDiff {
  const before = new Map(base.map((o) => [o.key, o]));
  const after = new Set(head.map((o) => o.key));
  const diff: ObjectDiff = { create: [], update: [], delete: [], retain: [] };
  for (const object of head) {
    const old = before.get(object.key);
    if (!old) {
      diff.create.push(object);
      continue;
    }
    const changes = fieldChanges(old.body, object.body);
    if (changes.length > 0) diff.update.push({ key: object.key, ...(object.creator ? { creator: object.creator } : {}), changes });
  }
  for (const object of base) {
    if (!after.has(object.key)) (object.retainOnDelete ? diff.retain : diff.delete).push(object);
  }
  return diff;
}

/** `+12 ~1 -0`: objects to create, update and delete. */
export const diffSummary = (diff: ObjectDiff): string => `+${diff.create.length} ~${diff.update.length} -${diff.delete.length}`;

/** The diff as `--json` shows it: keys only, and the changed fields' paths per update. */
export function diffJson(diff: ObjectDiff): {
  create: string[];
  update: string[];
  delete: string[];
  retain: string[];
  changes: Record<string, string[]>;
} {
  return {
    create: diff.create.map((o) => o.key),
    update: diff.update.map((o) => o.key),
    delete: diff.delete.map((o) => o.key),
    retain: diff.retain.map((o) => o.key),
    changes: Object.fromEntries(diff.update.map((o) => [o.key, o.changes.map((c) => c.path)])),
  };
}
