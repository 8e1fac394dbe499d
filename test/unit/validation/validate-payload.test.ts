import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { JsonCodec } from '../../../lib/core/codec/index.js';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import { isValidatedClass, validatePayload } from '../../../lib/nest/validation/validate-payload.js';
import { PayloadValidationError } from '../../../lib/nest/validation/index.js';
import { CreateOrder, FormalGreeting, Greeting, Item, Undecorated } from './dto.js';

const order = {
  email: 'a@b.example',
  address: { city: 'Berlin' },
  items: [{ sku: 'x', quantity: 2 }],
};

async function rejection(promise: Promise<unknown>): Promise<MicroError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(MicroError);
    return error as MicroError;
  }
  throw new Error('expected a rejection');
}

describe('validatePayload', () => {
  it('turns plain JSON into a validated instance, nested classes included', async () => {
    const result = await validatePayload<CreateOrder>(CreateOrder, structuredClone(order));
    expect(result).toBeInstanceOf(CreateOrder);
    expect(result.items[0]).toBeInstanceOf(Item);
    expect(result.total()).toBe(2);
  });

  it('lists each failing field and constraint, nested and in arrays, in a 400', async () => {
    const bad = {
      email: 'nope',
      address: { city: '' },
      items: [
        { sku: 'x', quantity: 1 },
        { sku: 3, quantity: 0 },
      ],
    };
    const error = await rejection(validatePayload(CreateOrder, bad));
    expect(error).toBeInstanceOf(PayloadValidationError);
    expect(error.code).toBe(400);
    expect(error.status).toBe('Bad Request');
    const { violations } = error as PayloadValidationError;
    expect(violations.map((v) => v.field)).toEqual([
      'email',
      'address.city',
      'items[1].sku',
      'items[1].quantity',
    ]);
    expect(Object.keys(violations[3]!.constraints)).toEqual(['min']);
    expect(error.detail).toMatch(/^CreateOrder validation failed: /);
    expect(error.detail).toContain('email: email must be an email [isEmail]');
    expect(error.detail).toContain('address.city: city should not be empty [isNotEmpty]');
    expect(error.detail).toContain('items[1].sku: sku must be a string [isString]');
    // The detail survives the wire as go-micro's JSON error.
    expect(MicroError.parse(error.toString()).detail).toBe(error.detail);
  });

  it('checks inherited constraints and reports missing fields for an empty body', async () => {
    const error = await rejection(validatePayload(FormalGreeting, undefined));
    const fields = (error as PayloadValidationError).violations.map((v) => v.field);
    expect(fields.toSorted()).toEqual(['name', 'title']);
    expect(await validatePayload(FormalGreeting, { name: 'a', title: 'Dr' })).toBeInstanceOf(FormalGreeting);
  });

  it('refuses a payload that is not an object', async () => {
    for (const value of ['text', 42, [{ name: 'a' }], true]) {
      const error = await rejection(validatePayload(Greeting, value));
      expect(error.code).toBe(400);
      expect(error.detail).toMatch(/expected a JSON object/);
    }
  });

  it('whitelist strips unknown properties; forbidUnknown rejects them', async () => {
    const stripped = await validatePayload<Greeting>(
      Greeting,
      { name: 'a', admin: true },
      { whitelist: true },
    );
    expect(stripped).toEqual(Object.assign(new Greeting(), { name: 'a' }));
    const kept = await validatePayload<Record<string, unknown>>(Greeting, { name: 'a', admin: true });
    expect(kept.admin).toBe(true);
    const error = await rejection(
      validatePayload(Greeting, { name: 'a', admin: true }, { forbidUnknown: true }),
    );
    expect((error as PayloadValidationError).violations).toEqual([
      { field: 'admin', constraints: { whitelistValidation: 'property admin should not exist' } },
    ]);
  });

  it('passes primitives, Object, built-ins and undecorated classes through untouched', async () => {
    const value = { anything: 1 };
    for (const metatype of [undefined, null, String, Number, Object, Array, Buffer, Date, Undecorated]) {
      expect(await validatePayload(metatype, value)).toBe(value);
    }
    expect(isValidatedClass(Undecorated)).toBe(false);
    expect(isValidatedClass(Greeting)).toBe(true);
  });

  it('validates an instance that is already of the class without rebuilding it', async () => {
    const instance = Object.assign(new Greeting(), { name: 'a' });
    expect(await validatePayload(Greeting, instance)).toBe(instance);
    await expect(validatePayload(Greeting, new Greeting())).rejects.toBeInstanceOf(PayloadValidationError);
  });

  it('answers nesting beyond maxDepth with a 400 instead of overflowing the stack', async () => {
    let deep: Record<string, unknown> = { city: 'x' };
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    const error = await rejection(validatePayload(Greeting, { name: 'a', extra: deep }));
    expect(error.code).toBe(400);
    expect(error.detail).toMatch(/deeper than 64/);
    const ok = await validatePayload(Greeting, { name: 'a', extra: { b: { c: 1 } } }, { maxDepth: 3 });
    expect(ok).toBeInstanceOf(Greeting);
  });

  it('caps the listed violations so a hostile payload cannot blow up the detail', async () => {
    const many: Record<string, unknown> = { name: 'a' };
    for (let i = 0; i < 500; i++) many[`k${i}`] = i;
    const error = await rejection(validatePayload(Greeting, many, { forbidUnknown: true }));
    expect((error as PayloadValidationError).violations).toHaveLength(500);
    expect(error.detail).toMatch(/; and 480 more$/);
  });
});

describe('hostile keys through the JSON codec and validation', () => {
  const codec = new JsonCodec();
  const payloads = [
    '{"name":"a","__proto__":{"polluted":"yes"}}',
    '{"name":"a","\\u005f_proto__":{"polluted":"yes"}}',
    '{"name":"a","constructor":{"prototype":{"polluted":"yes"}}}',
    '{"name":"a","prototype":{"polluted":"yes"}}',
    '{"email":"a@b.example","address":{"city":"x","__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}},"items":[{"sku":"s","quantity":1,"__proto__":{"polluted":"yes"}}]}',
  ];

  it('never pollutes prototypes and keeps instances of the declared class', async () => {
    for (const text of payloads) {
      const body = codec.decodeRequest(Buffer.from(text)).body;
      const metatype = text.includes('email') ? CreateOrder : Greeting;
      // Also the raw, unsanitised form a careless codec might produce.
      const raw = JSON.parse(text) as unknown;
      for (const value of [body, raw]) {
        const result = (await validatePayload(metatype, value, { whitelist: true })) as object;
        expect(Object.getPrototypeOf(result)).toBe(metatype.prototype);
        expect(result.constructor).toBe(metatype);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect((result as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.prototype.hasOwnProperty.call(result, 'constructor')).toBe(false);
      }
    }
  });

  it('still rejects a bad value when hostile keys try to swap the class', async () => {
    const text = '{"name":5,"__proto__":{"name":"ok"},"constructor":{"name":"Undecorated"}}';
    const error = await rejection(validatePayload(Greeting, JSON.parse(text)));
    expect((error as PayloadValidationError).violations.map((v) => v.field)).toEqual(['name']);
  });
});
