/**
 * The call path and the stream path share one rule for what a call made while serving another
 * inherits (client/deadline.ts) and one for fixed addresses (client/fixed-address.ts): both cap
 * their deadline by the served call's, both fail at once with the same 408 when it has passed, and
 * both go to a fixed address without asking the selector. Over a transport that records its dials.
 */
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Metadata, MicroError } from '../../../lib/index.js';
import { enableCallScope, runInCallScope, type ServedCall } from '../../../lib/core/client/call-scope.js';
import { DEFAULT_CALL_OPTIONS } from '../../../lib/core/client/call-options.js';
import { RpcCaller } from '../../../lib/core/client/rpc-caller.js';
import { streamCallerFor } from '../../../lib/core/client/stream-caller.js';
import { createCodecs } from '../../../lib/core/plugins.js';
import type { Selector } from '../../../lib/core/selector/selector.js';
import type {
  Header,
  Message,
  Socket,
  Transport,
  TransportClient,
} from '../../../lib/core/transport/transport.js';

interface Dial {
  kind: 'call' | 'stream';
  address: string;
  header: Header;
}

function fixture() {
  const dials: Dial[] = [];
  let selections = 0;
  const transport: Transport = {
    name: 'recording',
    listen: () => Promise.reject(new Error('not a server')),
    close: async () => {},
    dial: (address): TransportClient => ({
      address,
      call: (request: Message, _options, callback) => {
        dials.push({ kind: 'call', address, header: request.header });
        queueMicrotask(() => callback(null, { header: {}, body: Buffer.from('{}') }));
      },
      stream: (first: Message): Socket => {
        dials.push({ kind: 'stream', address, header: first.header });
        return endedSocket();
      },
    }),
  };
  const selector = {
    select: () => {
      selections++;
      return Promise.reject(new Error('the selector was asked'));
    },
    mark: () => {},
  } as unknown as Selector;
  const caller = new RpcCaller({ codecs: createCodecs(), transport, selector, client: {} });
  const streams = streamCallerFor(caller, { codecs: createCodecs(), transport, selector, client: {} });
  return {
    dials,
    selections: () => selections,
    call: (address: string | string[]) => caller.call('callee', 'Callee.Do', {}, { timeout: 5_000, address }),
    stream: (address: string | string[]) =>
      lastValueFrom(
        streams
          .stream('callee', 'Callee.Talk', from([]), { ...DEFAULT_CALL_OPTIONS, timeout: 5_000, address })
          .pipe(toArray()),
      ),
  };
}

/** A stream the server ends cleanly at once. */
function endedSocket(): Socket {
  return {
    local: '',
    remote: '',
    send: () => true,
    onMessage: () => {},
    onEnd: (listener) => queueMicrotask(() => listener()),
    onDrain: () => {},
    end: () => {},
    close: () => {},
  };
}

const served = (deadline: number): ServedCall => ({
  getDeadline: () => deadline,
  getMetadata: () => new Metadata(),
});

const timeoutMs = (header: Header): number => Number(header.timeout) / 1e6;

afterEach(() => vi.restoreAllMocks());

describe('what a call made while serving another inherits', () => {
  it('caps the deadline of a call and of a stream alike, and both skip the selector for a fixed address', async () => {
    enableCallScope();
    const f = fixture();
    await runInCallScope(served(Date.now() + 300), async () => {
      await f.call('10.0.0.1:1');
      await f.stream('10.0.0.1:1');
    });
    expect(f.selections()).toBe(0);
    expect(f.dials.map((d) => [d.kind, d.address])).toEqual([
      ['call', '10.0.0.1:1'],
      ['stream', '10.0.0.1:1'],
    ]);
    for (const dial of f.dials) {
      expect(timeoutMs(dial.header)).toBeGreaterThan(200);
      expect(timeoutMs(dial.header)).toBeLessThanOrEqual(300);
    }
  });

  it('fails a call and a stream with the same 408 when the served deadline has passed, dialling nothing', async () => {
    enableCallScope();
    const f = fixture();
    const failures = await runInCallScope(served(Date.now() - 1), () =>
      Promise.all([
        f.call('10.0.0.1:1').catch((e: unknown) => e),
        f.stream('10.0.0.1:1').catch((e: unknown) => e),
      ]),
    );
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(MicroError);
      expect(failure).toMatchObject({
        code: 408,
        detail: expect.stringContaining("the caller's deadline has passed"),
      });
    }
    expect(f.dials).toEqual([]);
  });

  it('starts a call and a stream at the same one of several fixed addresses', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.6);
    const f = fixture();
    await f.call(['10.0.0.1:1', '10.0.0.2:2']);
    await f.stream(['10.0.0.1:1', '10.0.0.2:2']);
    expect(f.dials.map((d) => d.address)).toEqual(['10.0.0.2:2', '10.0.0.2:2']);
    expect(f.selections()).toBe(0);
  });
});
