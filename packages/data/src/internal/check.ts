/** Argument checks shared by the package; messages name the function, argument and value. */

export function checkPositiveInt(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new RangeError(`${fn}: ${name} must be an integer >= 1, got ${String(v)}`);
  }
  return v;
}

export function checkNonNegativeInt(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new RangeError(`${fn}: ${name} must be an integer >= 0, got ${String(v)}`);
  }
  return v;
}

export function checkInt32(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
    throw new TypeError(`${fn}: ${name} must be an int32 integer, got ${String(v)}`);
  }
  return v;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `array(${v.length})`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<number>).length})`;
  return typeof v;
}
