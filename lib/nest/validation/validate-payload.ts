/**
 * Payload validation before a handler runs: plain decoded data becomes an instance of the handler's
 * payload class (class-transformer) and is checked against its class-validator decorators. Failure
 * is a PayloadValidationError — a BadRequest (400) MicroError whose detail lists each failing field
 * and constraint. Classes without class-validator metadata, primitives and built-ins pass through.
 *
 * Hostile input is harmless: `__proto__`/`constructor`/`prototype` keys are dropped before any
 * instance is built, and nesting deeper than `maxDepth` is a 400, not a stack overflow.
 */
import { classTransformer, classValidator, validationMetadata } from './libraries.js';
import { MicroError } from '../../core/errors/micro-error.js';
import { sanitize, TooDeepError } from './sanitize.js';
import { describeViolations, flatten, type Violation } from './violations.js';
import { ERROR_ID } from '../../core/errors/ids.js';

export interface ValidatePayloadOptions {
  /** Strip properties the class does not decorate (default false). */
  whitelist?: boolean;
  /** Reject properties the class does not decorate (default false); implies `whitelist`. */
  forbidUnknown?: boolean;
  /** class-validator groups to check. */
  groups?: string[];
  /** Deepest nesting accepted (default 64). */
  maxDepth?: number;
  /** The MicroError id (default "go.micro.server"; pass the service name). */
  id?: string;
}

/** The 400 for a payload that fails validation, with the violations for local callers. */
export class PayloadValidationError extends MicroError {
  constructor(
    id: string,
    detail: string,
    readonly violations: Violation[],
  ) {
    super(id, detail, 400);
  }
}

/** True for classes with class-validator metadata (own or inherited). */
export function isValidatedClass(metatype: unknown, groups?: string[]): metatype is new () => object {
  if (typeof metatype !== 'function') return false;
  const rules = validationMetadata()?.getTargetValidationMetadatas(metatype, '', true, false, groups);
  return (rules?.length ?? 0) > 0;
}

/**
 * `value` as a validated instance of `metatype`, or `value` unchanged when `metatype` declares no
 * validation. Rejects with a 400 MicroError (PayloadValidationError for failed constraints).
 */
export async function validatePayload<T = unknown>(
  metatype: unknown,
  value: unknown,
  options: ValidatePayloadOptions = {},
): Promise<T> {
  if (!isValidatedClass(metatype, options.groups)) return value as T;
  const id = options.id ?? ERROR_ID.server;
  const typeName = metatype.name || 'payload';
  if (value instanceof metatype) return checked(value, typeName, id, options) as Promise<T>;

  const plain = value ?? {};
  if (typeof plain !== 'object' || Array.isArray(plain)) {
    const got = Array.isArray(plain) ? 'an array' : typeof plain;
    throw MicroError.badRequest(id, `${typeName} validation failed: expected a JSON object, got ${got}`);
  }
  let instance: object;
  try {
    const clean = sanitize(plain, options.maxDepth ?? 64);
    instance = classTransformer().plainToInstance(metatype, clean as object) as object;
  } catch (error) {
    const why = error instanceof TooDeepError ? error.message : `cannot read it: ${(error as Error).message}`;
    throw MicroError.badRequest(id, `${typeName} validation failed: ${why}`);
  }
  return checked(instance, typeName, id, options) as Promise<T>;
}

async function checked(
  instance: object,
  typeName: string,
  id: string,
  options: ValidatePayloadOptions,
): Promise<object> {
  let errors;
  try {
    errors = await classValidator().validate(instance, {
      whitelist: options.whitelist === true || options.forbidUnknown === true,
      forbidNonWhitelisted: options.forbidUnknown === true,
      forbidUnknownValues: true,
      groups: options.groups,
    });
  } catch (error) {
    // A custom constraint threw: the service's bug, not the caller's.
    throw MicroError.internalServerError(id, `${typeName} validation threw: ${(error as Error).message}`);
  }
  if (errors.length === 0) return instance;
  const violations = flatten(errors);
  throw new PayloadValidationError(id, describeViolations(typeName, violations), violations);
}
