/**
 * class-validator's ValidationError tree flattened to one violation per failing field
 * (`address.city`, `items[0].name`), and the 400 detail text that lists them.
 */
import type { ValidationError } from 'class-validator';

export interface Violation {
  /** Dotted path of the field, array indexes in brackets. */
  field: string;
  /** Failed constraint name → message, as class-validator reports them. */
  constraints: Record<string, string>;
}

/** How many violations the detail spells out; the rest are counted. */
const DETAIL_LIMIT = 20;

export function flatten(errors: ValidationError[], parent = '', parentIsArray = false): Violation[] {
  const out: Violation[] = [];
  for (const error of errors) {
    const field = join(parent, error.property, parentIsArray);
    if (error.constraints && Object.keys(error.constraints).length > 0) {
      out.push({ field, constraints: { ...error.constraints } });
    }
    if (error.children?.length) out.push(...flatten(error.children, field, Array.isArray(error.value)));
  }
  return out;
}

export function describeViolations(typeName: string, violations: Violation[]): string {
  const listed = violations.slice(0, DETAIL_LIMIT).map((v) => {
    const constraints = Object.entries(v.constraints).map(([name, message]) => `${message} [${name}]`);
    return `${v.field}: ${constraints.join(', ')}`;
  });
  const more = violations.length > DETAIL_LIMIT ? `; and ${violations.length - DETAIL_LIMIT} more` : '';
  return `${typeName} validation failed: ${listed.join('; ')}${more}`;
}

function join(parent: string, property: string, index: boolean): string {
  if (!parent) return property;
  return index && /^\d+$/.test(property) ? `${parent}[${property}]` : `${parent}.${property}`;
}
