/**
 * Protocol sniffing for the shared listen port: reads the first bytes of a connection and decides
 * whether it is the framed protocol (its PREFACE), HTTP/1.x (a request method and a space), or
 * neither (the connection is closed). Connections that send nothing decisive in time are closed.
 */
import type { Socket as NetSocket } from 'node:net';
import { PREFACE } from './protocol.js';

const METHODS = ['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE', 'PRI'].map(
  (m) => Buffer.from(`${m} `, 'latin1'),
);
const LONGEST = Math.max(PREFACE.length, ...METHODS.map((m) => m.length));

export type Verdict = 'framed' | 'http' | 'more' | 'reject';

export function classify(buf: Buffer): Verdict {
  if (buf.length === 0) return 'more';
  if (buf[0] === PREFACE[0]) return prefixVerdict(buf, PREFACE, 'framed');
  let best: Verdict = 'reject';
  for (const method of METHODS) {
    const v = prefixVerdict(buf, method, 'http');
    if (v === 'http') return v;
    if (v === 'more') best = 'more';
  }
  return best;
}

function prefixVerdict(buf: Buffer, expected: Buffer, verdict: Verdict): Verdict {
  const n = Math.min(buf.length, expected.length);
  if (buf.compare(expected, 0, n, 0, n) !== 0) return 'reject';
  return n === expected.length ? verdict : 'more';
}

function onError(): void {
  /* 'close' follows; nothing to clean up */
}

export interface SniffHandlers {
  framed(socket: NetSocket, first: Buffer): void;
  http(socket: NetSocket, first: Buffer): void;
}

/** Watches `socket` until its protocol is known, then hands it over with the bytes read so far. */
export function sniff(socket: NetSocket, timeoutMs: number, handlers: SniffHandlers): void {
  let seen: Buffer | undefined;
  const onTimeout = (): void => {
    socket.destroy();
  };
  const onData = (data: Buffer): void => {
    const buf = seen ? Buffer.concat([seen, data]) : data;
    const verdict = classify(buf);
    if (verdict === 'more' && buf.length < LONGEST) {
      seen = buf;
      return;
    }
    socket.off('data', onData);
    socket.off('timeout', onTimeout);
    socket.off('error', onError);
    socket.setTimeout(0);
    if (verdict === 'framed') handlers.framed(socket, buf);
    else if (verdict === 'http') handlers.http(socket, buf);
    else socket.destroy();
  };
  socket.on('error', onError);
  socket.setTimeout(timeoutMs, onTimeout);
  socket.on('data', onData);
}
