/**
 * MicroClient.send: Nest's ClientProxy contract (cold, one call per subscription, the dispatch hook,
 * empty completion on a void reply, errors through serializeError, unsubscribe drops the reply)
 * without Nest's defer(connect) wrapping, over a stub call path.
 */
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { MicroClient, MicroError } from '../../../lib/index.js';
import { resolveOptions } from '../../../lib/nest/options.js';
import type { RpcCaller } from '../../../lib/core/client/rpc-caller.js';

interface Seen {
  service: string;
  endpoint: string;
  data: unknown;
  options: { metadata?: Record<string, string> };
}

function stubClient(answer: (seen: Seen) => Promise<unknown>): { client: MicroClient; calls: Seen[] } {
  const calls: Seen[] = [];
  const caller = {
    call: (service: string, endpoint: string, data: unknown, options: Seen['options']) => {
      const seen = { service, endpoint, data, options };
      calls.push(seen);
      return answer(seen);
    },
  } as unknown as RpcCaller;
  const client = new MicroClient(resolveOptions({ env: false }), 'greeter', {}, caller);
  return { client, calls };
}

describe('MicroClient.send', () => {
  it('calls the bound service once per subscription, and not before one', async () => {
    const { client, calls } = stubClient(async ({ data }) => ({ echo: data }));
    const reply$ = client.send('Greeter.Hello', { name: 'John' });
    expect(calls).toHaveLength(0);
    expect(await lastValueFrom(reply$.pipe(toArray()))).toEqual([{ echo: { name: 'John' } }]);
    expect(await firstValueFrom(reply$)).toEqual({ echo: { name: 'John' } });
    expect(calls.map((c) => [c.service, c.endpoint])).toEqual([
      ['greeter', 'Greeter.Hello'],
      ['greeter', 'Greeter.Hello'],
    ]);
  });

  it('routes a { service, endpoint } pattern and passes the dispatch hook’s metadata', async () => {
    const { client, calls } = stubClient(async () => 'ok');
    client.setOnDispatchHook((packet) => {
      packet.metadata = { 'x-trace': 't1' };
    });
    await firstValueFrom(client.send({ service: 'other', endpoint: 'Other.Do' }, {}));
    expect(calls[0]).toMatchObject({
      service: 'other',
      endpoint: 'Other.Do',
      options: { metadata: { 'x-trace': 't1' } },
    });
  });

  it('completes without a value on a void reply', async () => {
    const { client } = stubClient(async () => undefined);
    expect(await lastValueFrom(client.send('Greeter.Hello', {}).pipe(toArray()))).toEqual([]);
  });

  it('errors with the MicroError of a failed call', async () => {
    const { client } = stubClient(async () => {
      throw MicroError.conflict('greeter', 'taken');
    });
    const error = await firstValueFrom(client.send('Greeter.Hello', {})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MicroError);
    expect(error).toMatchObject({ code: 409, detail: 'taken' });
  });

  it('turns a plain error object into a MicroError (serializeError)', async () => {
    const { client } = stubClient(() => Promise.reject({ id: 'x', code: 503, detail: 'down' }));
    const error = await firstValueFrom(client.send('Greeter.Hello', {})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MicroError);
    expect(error).toMatchObject({ code: 503, detail: 'down' });
  });

  it('drops the reply of an unsubscribed call', async () => {
    let release!: (value: unknown) => void;
    const { client, calls } = stubClient(() => new Promise((resolve) => (release = resolve)));
    const got: unknown[] = [];
    const subscription = client.send('Greeter.Hello', {}).subscribe({
      next: (v) => got.push(v),
      error: (e: unknown) => got.push(e),
      complete: () => got.push('complete'),
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toHaveLength(1);
    subscription.unsubscribe();
    release('late');
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).toEqual([]);
  });

  it('refuses a missing pattern or payload as Nest does, and an unbound endpoint with a 400', async () => {
    const { client, calls } = stubClient(async () => 'ok');
    await expect(firstValueFrom(client.send('Greeter.Hello', undefined))).rejects.toThrow(
      'The invalid data or message pattern (undefined/null)',
    );
    const unbound = new MicroClient(client.options, undefined, {}, client.unwrap());
    const error = await firstValueFrom(unbound.send('Greeter.Hello', {})).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 400 });
    expect(calls).toHaveLength(0);
  });
});
