/**
 * A small hand-written validator for JSON read back from the state directory: each check walks a
 * value and records every problem with the path of the field (`netdevs[2].peer`), so a damaged
 * file is reported by field, not by the crash it would cause later.
 */

/** One thing wrong with a value read from a state file. */
export interface Problem {
  /** Where: `netdevs[2].peer`, or '' for the whole value. */
  readonly path: string;
  readonly message: string;
}

/** Checks `value` found at `path`, pushing what is wrong onto `out`. */
export type Check = (value: unknown, path: string, out: Problem[]) => void;

const MAX_SHOWN = 40;

/** A value as a message shows it: JSON, cut short. */
export function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}

/** The path of a field or list item inside `path`. */
export const at = (path: string, key: string | number): string => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);

const expect =
  (what: string, ok: (v: unknown) => boolean): Check =>
  (v, path, out) => {
    if (!ok(v)) out.push({ path, message: `expected ${what}, got ${shown(v)}` });
  };

/** A JSON object (not null, not a list). */
export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Scalar checks, each naming what it expects in its message. */
export const str = expect('a string', (v) => typeof v === 'string');
export const bool = expect('true or false', (v) => typeof v === 'boolean');
export const num = expect('a number', (v) => typeof v === 'number' && Number.isFinite(v));
/** A non-negative safe integer (ids, counters, sizes). */
export const count = expect('a whole number ≥ 0', (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);
export const int = expect('a whole number', (v) => typeof v === 'number' && Number.isSafeInteger(v));
/** Bytes as hex: an even number of hex digits. */
export const hex = expect('hex bytes', (v) => typeof v === 'string' && /^(?:[0-9a-f]{2})*$/i.test(v));
export const sha256 = expect('a sha256 in hex', (v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v));
export const isoDate = expect('an ISO date', (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)));

/** One of the given literal values. */
export function oneOf(...values: readonly (string | number)[]): Check {
  return expect(values.map((x) => JSON.stringify(x)).join(' or '), (v) => values.includes(v as string | number));
}

/** A list whose items `item` checks. */
export function arrayOf(item: Check): Check {
  return (v, path, out) => {
    if (!Array.isArray(v)) out.push({ path, message: `expected a list, got ${shown(v)}` });
    else v.forEach((x, i) => item(x, at(path, i), out));
  };
}

/** An object used as a dictionary: every value checked by `item`. */
export function recordOf(item: Check): Check {
  return (v, path, out) => {
    if (!isRecord(v)) out.push({ path, message: `expected an object, got ${shown(v)}` });
    else for (const [k, x] of Object.entries(v)) item(x, at(path, k), out);
  };
}

/** Fields of an object; those in `optional` may be absent (or null, as JSON writes a missing id). Unknown fields are let through. */
export function object(fields: Readonly<Record<string, Check>>, optional: Readonly<Record<string, Check>> = {}): Check {
  return (v, path, out) => {
    if (!isRecord(v)) {
      out.push({ path, message: `expected an object, got ${shown(v)}` });
      return;
    }
    for (const [k, check] of Object.entries(fields)) {
      if (!(k in v)) out.push({ path: at(path, k), message: 'missing' });
      else check(v[k], at(path, k), out);
    }
    for (const [k, check] of Object.entries(optional)) if (v[k] !== undefined) check(v[k], at(path, k), out);
  };
}

/** Either of two shapes, chosen by a discriminating field. */
export function byKind(field: string, shapes: Readonly<Record<string, Check>>): Check {
  return (v, path, out) => {
    const kind = isRecord(v) ? v[field] : undefined;
    const shape = typeof kind === 'string' ? shapes[kind] : undefined;
    if (shape) shape(v, path, out);
    else if (!isRecord(v)) out.push({ path, message: `expected an object, got ${shown(v)}` });
    else
      out.push({
        path: at(path, field),
        message: `expected ${Object.keys(shapes)
          .map((k) => JSON.stringify(k))
          .join(' or ')}, got ${shown(kind)}`,
      });
  };
}

/** `check` or null. */
export function nullable(check: Check): Check {
  return (v, path, out) => {
    if (v !== null) check(v, path, out);
  };
}

/** Run a check on a value; the problems found, in order. */
export function validate(check: Check, value: unknown, path = ''): Problem[] {
  const out: Problem[] = [];
  check(value, path, out);
  return out;
}
