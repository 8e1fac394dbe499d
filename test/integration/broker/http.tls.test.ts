/**
 * The HTTP broker over TLS: a subscriber serving HTTPS (nodes announced `secure: "true"`) gets
 * single and batched deliveries from a publisher that trusts its CA; a publisher that does not
 * trust it cannot deliver, and the message waits in its retry inbox.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpBroker, type HttpBrokerOptions } from '../../../lib/core/broker/http.broker.js';
import { MemoryRegistry } from '../../../lib/core/registry/memory.registry.js';
import { makePki, opensslRequirement, type Pki } from '../../support/pki.js';
import { waitFor } from '../../support/processes.js';

const brokers: HttpBroker[] = [];
afterEach(async () => {
  await Promise.all(brokers.splice(0).map((b) => b.disconnect()));
});

async function broker(options: HttpBrokerOptions): Promise<HttpBroker> {
  const b = new HttpBroker({ retryInterval: 50, ...options });
  brokers.push(b);
  await b.connect();
  return b;
}

const message = (n: number) => ({ header: {}, body: Buffer.from(String(n)) });

describe.skipIf(opensslRequirement.skip)(`HttpBroker over TLS ${opensslRequirement.reason}`, () => {
  let dir: string;
  let pki: Pki;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nest-micro-broker-tls-'));
    pki = makePki(dir);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('delivers single and batched POSTs to an HTTPS subscriber whose CA the publisher trusts', async () => {
    const registry = new MemoryRegistry();
    const sub = await broker({ registry, tls: { key: pki.key, cert: pki.cert } });
    const got: string[] = [];
    await sub.subscribe('secure', (e) => void got.push(e.message.body.toString()));
    const pub = await broker({ registry, clientTls: { ca: pki.ca } });
    await pub.publish('secure', message(0));
    await Promise.all(Array.from({ length: 20 }, (_, i) => pub.publish('secure', message(i + 1))));
    expect(got.map(Number).toSorted((a, b) => a - b)).toEqual(Array.from({ length: 21 }, (_, i) => i));
    expect(pub.stats().queued).toBe(0);
  });

  it('a publisher that does not trust the certificate keeps the message for retry', async () => {
    const registry = new MemoryRegistry();
    const sub = await broker({ registry, tls: { key: pki.key, cert: pki.cert } });
    const got: string[] = [];
    await sub.subscribe('secure', (e) => void got.push(e.message.body.toString()));
    const pub = await broker({ registry });
    await pub.publish('secure', message(1));
    await waitFor(() => pub.stats().queued === 1, 5_000, 'queued for retry');
    expect(got).toEqual([]);
  });
});
