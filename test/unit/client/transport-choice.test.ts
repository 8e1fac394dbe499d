/**
 * The transport a node is dialled with is the user's: the module's own for its kind, a configured
 * one for another kind (a node announcing `http` gets the HttpTransport the user set up, pool size
 * and all), and for a kind not configured one made from the own transport's options.
 */
import { describe, expect, it } from 'vitest';
import { HttpTransport, TcpTransport } from '../../../lib/core/transport/index.js';
import { TransportChoice } from '../../../lib/core/client/transport-choice.js';
import { RpcCaller } from '../../../lib/core/client/rpc-caller.js';
import { createCodecs } from '../../../lib/core/plugins.js';
import type { Selector } from '../../../lib/core/selector/selector.js';
import type { Node } from '../../../lib/core/registry/registry.js';

const node = (transport?: string): Node => ({
  id: 'n1',
  address: '127.0.0.1:1',
  metadata: transport ? { transport } : {},
});

describe('TransportChoice', () => {
  it('dials a node announcing the other kind with the transport configured for it', async () => {
    const own = new TcpTransport({ poolSize: 2 });
    const http = new HttpTransport({ poolSize: 7 });
    const choice = new TransportChoice(own, [http]);
    expect(choice.for(node('tcp'))).toBe(own);
    expect(choice.for(node())).toBe(own);
    expect(choice.for(node('http'))).toBe(http);
    expect((choice.for(node('http')) as HttpTransport).options.poolSize).toBe(7);
    await choice.close();
  });

  it('makes a kind not configured from the own transport’s options where they carry over', async () => {
    const fromTcp = new TransportChoice(new TcpTransport({ poolSize: 4, idleTimeout: 12_000 }));
    const http = fromTcp.for(node('http')) as HttpTransport;
    expect(http).toBeInstanceOf(HttpTransport);
    expect(http.options).toMatchObject({ poolTTL: 12_000 });
    expect(http.options.poolSize).toBeUndefined(); // 4 framed connections are not 4 HTTP ones
    expect(fromTcp.for(node('http'))).toBe(http); // made once
    expect(fromTcp.for(node('grpc'))).toBe(http); // an unknown kind is spoken to over HTTP

    const fromHttp = new TransportChoice(new HttpTransport({ poolTTL: 9_000 }));
    const tcp = fromHttp.for(node('tcp')) as TcpTransport;
    expect(tcp).toBeInstanceOf(TcpTransport);
    expect(tcp.options).toMatchObject({ idleTimeout: 9_000 });
    await Promise.all([fromTcp.close(), fromHttp.close()]);
  });

  it('reaches the call path from the options the client is built with', async () => {
    const http = new HttpTransport({ poolSize: 3 });
    const caller = new RpcCaller({
      codecs: createCodecs(),
      transport: new TcpTransport(),
      transports: [http],
      selector: {} as Selector,
      client: {},
    });
    expect(caller.transports.for(node('http'))).toBe(http);
    await caller.close();
  });
});
