/**
 * class-validator and class-transformer, loaded on first use like the core's drivers
 * (lib/core/drivers.ts): a service whose handlers declare no validated payload never loads them.
 */
import type { MetadataStorage } from 'class-validator';
import { onFirstUse } from '../../core/drivers.js';

export const classValidator = onFirstUse<typeof import('class-validator')>(
  'class-validator',
  'payload validation',
);
export const classTransformer = onFirstUse<typeof import('class-transformer')>(
  'class-transformer',
  'payload validation',
);

/**
 * class-validator's metadata storage, or undefined while no class-validator decorator has run: its
 * decorators record into one process-wide global (what `getMetadataStorage()` creates), so until it
 * exists no class has rules to check or describe and class-validator need not load
 * (test/unit/validation/validation-metadata.test.ts pins the global's name).
 */
export function validationMetadata(): MetadataStorage | undefined {
  const global = globalThis as { classValidatorMetadataStorage?: unknown };
  return global.classValidatorMetadataStorage ? classValidator().getMetadataStorage() : undefined;
}
