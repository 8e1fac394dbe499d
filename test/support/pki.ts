/**
 * A throwaway CA made by openssl, and a server certificate for 127.0.0.1 / localhost signed by it
 * (EC P-256, valid one day), for TLS tests. `openssl` says where the binary is (undefined: skip).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary, requireBinary } from './processes.js';

export const openssl = findBinary('openssl');
export const opensslRequirement = requireBinary('openssl', openssl);

export interface Pki {
  ca: Buffer;
  key: Buffer;
  cert: Buffer;
}

export function makePki(dir: string): Pki {
  const run = (...args: string[]): void => void execFileSync(openssl!, args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=test CA');
  run('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  const sign = ['-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-extfile', 'san.ext'];
  run('x509', '-req', '-in', 'server.csr', ...sign, '-out', 'server.crt', '-days', '1');
  const read = (f: string): Buffer => readFileSync(join(dir, f));
  return { ca: read('ca.crt'), key: read('server.key'), cert: read('server.crt') };
}
