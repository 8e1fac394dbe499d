import 'reflect-metadata';
import { getMetadataStorage } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { validationMetadata } from '../../../lib/nest/validation/libraries.js';
import { isValidatedClass } from '../../../lib/nest/validation/validate-payload.js';
import { CreateOrder } from './dto.js';

describe('validationMetadata', () => {
  // nest-micro loads class-validator only once this global exists (its decorators create it): a
  // class-validator that renamed it would silently turn validation off, so its name is pinned here
  it('is class-validator’s own storage, kept in the global its decorators write to', () => {
    const global = globalThis as { classValidatorMetadataStorage?: unknown };
    expect(global.classValidatorMetadataStorage).toBe(getMetadataStorage());
    expect(validationMetadata()).toBe(getMetadataStorage());
    expect(isValidatedClass(CreateOrder)).toBe(true);
  });
});
