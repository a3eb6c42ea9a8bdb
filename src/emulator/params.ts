/** Query or form parameters as single strings; repeated names are reported (ESIA-007003). */
export interface Params {
  values: Record<string, string | undefined>;
  duplicated: string[];
}

export function readParams(input: unknown): Params {
  const values: Record<string, string | undefined> = {};
  const duplicated: string[] = [];
  if (input && typeof input === 'object') {
    for (const [name, value] of Object.entries(input as Record<string, unknown>)) {
      if (Array.isArray(value)) {
        duplicated.push(name);
        values[name] = typeof value[0] === 'string' ? value[0] : undefined;
      } else if (typeof value === 'string') {
        values[name] = value;
      }
    }
  }
  return { values, duplicated };
}

export function singleValues(input: unknown): Record<string, string | undefined> {
  return readParams(input).values;
}
