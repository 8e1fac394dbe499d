/** TLS on the framed TCP transport, with a throwaway CA made by openssl for this run. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TcpTransport } from '../../../lib/core/transport/tcp/tcp.transport.js';
import type { Listener, Message } from '../../../lib/core/transport/transport.js';
import { findBinary, requireBinary } from '../../support/processes.js';
import { call, echoAcceptor, msg } from './tcp.helpers.js';

const openssl = findBinary('openssl');
const { skip, reason } = requireBinary('openssl', openssl);

interface Pki {
  ca: Buffer;
  key: Buffer;
  cert: Buffer;
}

/** A CA, and a server certificate for 127.0.0.1 / localhost signed by it (EC P-256, valid one day). */
function makePki(dir: string): Pki {
  const run = (...args: string[]): void => void execFileSync(openssl!, args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '1',
    '-subj',
    '/CN=nest-micro test CA',
  );
  run('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '1',
    '-extfile',
    'san.ext',
  );
  const read = (f: string): Buffer => readFileSync(join(dir, f));
  return { ca: read('ca.crt'), key: read('server.key'), cert: read('server.crt') };
}

describe.skipIf(skip)(`tcp transport over TLS ${reason}`, () => {
  let dir: string;
  let pki: Pki;
  let listener: Listener;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nest-micro-tls-'));
    pki = makePki(dir);
    listener = await new TcpTransport().listen('127.0.0.1:0', echoAcceptor(), {
      tls: { key: pki.key, cert: pki.cert },
    });
  });
  afterAll(async () => {
    await listener?.close(100);
    rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips calls and a stream with a client that trusts the CA', async () => {
    const t = new TcpTransport({ tls: { ca: pki.ca } });
    const client = t.dial(listener.address);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => call(client, msg(`tls ${i}`))));
    expect(results.map((r) => r.reply?.body.toString())).toEqual(results.map((_, i) => `tls ${i}`));
    const s = client.stream(msg('open'));
    const got: Message[] = [];
    s.onMessage((m) => got.push(m));
    s.send(msg('second'));
    s.end();
    expect(await new Promise((resolve) => s.onEnd(resolve))).toBeUndefined();
    expect(got.map((m) => m.body.toString())).toEqual(['open', 'second']);
    await t.close();
  });

  it('serves go-micro HTTP over TLS on the same port', async () => {
    const [host, port] = listener.address.split(':');
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ host, port: Number(port), method: 'POST', path: '/', ca: pki.ca }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(`${res.statusCode} ${res.headers['x-echo']} ${text}`));
      });
      req.on('error', reject);
      req.end('over https');
    });
    expect(body).toBe('200 1 over https');
  });

  it('fails with a retryable 503 when the server certificate is not trusted', async () => {
    const t = new TcpTransport();
    const r = await call(t.dial(listener.address, { tls: {} }), msg('x'));
    await t.close();
    expect(r.error?.code).toBe(503);
    expect(r.error?.retryable).toBe(true);
    expect(r.error?.detail).toMatch(/certificate/i);
  });

  it('closes a plain-text client on the TLS port with a 503, and keeps serving TLS', async () => {
    const plain = new TcpTransport();
    const r = await call(plain.dial(listener.address), msg('x'));
    await plain.close();
    expect(r.error?.code).toBe(503);
    const t = new TcpTransport({ tls: { ca: pki.ca } });
    expect((await call(t.dial(listener.address), msg('ok'))).reply?.body.toString()).toBe('ok');
    await t.close();
  });
});
