/**
 * A value the code generator was given, as text that is equal for equal values: numbers, strings,
 * booleans, null, undefined, bigints, and arrays and plain objects of them (keys sorted). Anything
 * else (a function, a typed array, a class instance) gives undefined: it cannot be compared by its
 * text, so a module built from it is not cached.
 */
export function answerText(v: unknown): string | undefined {
  switch (typeof v) {
    case 'number':
      return Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : String(v);
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return String(v);
    case 'undefined':
      return 'undefined';
    case 'bigint':
      return `${v}n`;
    case 'object':
      break;
    default:
      return undefined;
  }
  if (v === null) return 'null';
  if (Array.isArray(v)) return joined(v.map(answerText), '[', ']');
  if (Object.getPrototypeOf(v) !== Object.prototype) return undefined;
  const record = v as Record<string, unknown>;
  return joined(
    Object.keys(record)
      .sort()
      .map((k) => {
        const t = answerText(record[k]);
        return t === undefined ? undefined : `${JSON.stringify(k)}:${t}`;
      }),
    '{',
    '}',
  );
}

function joined(parts: (string | undefined)[], open: string, close: string): string | undefined {
  return parts.some((p) => p === undefined) ? undefined : `${open}${parts.join(',')}${close}`;
}
