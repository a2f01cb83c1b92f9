/** Readers of values in a parsed JSON document, which may hold anything where a field is expected. */

export type JsonObject = { readonly [key: string]: unknown };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object at `value`, or an empty one. */
export function objectAt(value: unknown): JsonObject {
  return isObject(value) ? value : {};
}

/** A string as it is, a number written out, anything else ''. */
export function text(value: unknown): string {
  if (typeof value === 'string') return value;
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : '';
}

/** A list of strings: an array's strings, a lone string as a list of one, anything else none. */
export function texts(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(text).filter((item) => item !== '');
  const single = text(value);
  return single === '' ? [] : [single];
}

/** A number, or a string holding one; null otherwise. */
export function numberAt(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string' || value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}
