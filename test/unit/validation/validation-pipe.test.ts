import 'reflect-metadata';
import { BadRequestException, ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { validatePayload } from '../../../lib/nest/validation/validate-payload.js';
import { CreateOrder, Greeting, Item } from './dto.js';

const meta = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype });

describe('alongside a user ValidationPipe (our step runs first)', () => {
  it('hands the pipe an instance that it validates and keeps', async () => {
    const value = await validatePayload<CreateOrder>(CreateOrder, {
      email: 'a@b.example',
      address: { city: 'Berlin' },
      items: [{ sku: 'x', quantity: 3 }],
    });
    for (const pipe of [
      new ValidationPipe(),
      new ValidationPipe({ transform: true }),
      new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
    ]) {
      const out = (await pipe.transform(value, meta(CreateOrder))) as CreateOrder;
      expect(out.email).toBe('a@b.example');
      expect(out.items[0]!.quantity).toBe(3);
    }
    const transformed = (await new ValidationPipe({ transform: true }).transform(
      value,
      meta(CreateOrder),
    )) as CreateOrder;
    expect(transformed).toBeInstanceOf(CreateOrder);
    expect(transformed.items[0]).toBeInstanceOf(Item);
    expect(transformed.total()).toBe(3);
  });

  it('agrees with the pipe on what is invalid', async () => {
    const bad = { name: '' };
    await expect(validatePayload(Greeting, bad)).rejects.toMatchObject({ code: 400 });
    await expect(new ValidationPipe().transform(bad, meta(Greeting))).rejects.toBeInstanceOf(
      BadRequestException,
    );
  });

  it('lets a stricter pipe still reject what our whitelist-free step kept', async () => {
    const value = await validatePayload(Greeting, { name: 'a', extra: 1 });
    const strict = new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true });
    await expect(strict.transform(value, meta(Greeting))).rejects.toBeInstanceOf(BadRequestException);
  });
});

function Handler(): MethodDecorator {
  return () => {};
}
class GreeterHandler {
  @Handler()
  hello(request: Greeting): string {
    return `Hello ${request.name}`;
  }
}

describe('as the server calls it, with the handler design:paramtypes[0]', () => {
  it('validates before the handler runs', async () => {
    const [metatype] = Reflect.getMetadata(
      'design:paramtypes',
      GreeterHandler.prototype,
      'hello',
    ) as unknown[];
    expect(metatype).toBe(Greeting);
    const request = await validatePayload<Greeting>(metatype, { name: 'John' }, { id: 'greeter' });
    expect(new GreeterHandler().hello(request)).toBe('Hello John');
    await expect(validatePayload(metatype, { name: 7 }, { id: 'greeter' })).rejects.toMatchObject({
      id: 'greeter',
      code: 400,
    });
  });
});
