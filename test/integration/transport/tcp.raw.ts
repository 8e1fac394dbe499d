/** Raw-socket helpers for the TCP transport's bad-input tests: hand-made frames and a frame reader. */
import { connect, type Socket } from 'node:net';
import { FrameParser } from '../../../lib/core/transport/tcp/frame-parser.js';
import { encodeHeader, headerBound } from '../../../lib/core/transport/tcp/header-codec.js';
import { FRAME_HEADER } from '../../../lib/core/transport/tcp/protocol.js';
import { splitHostPort } from '../../../lib/core/net/address.js';

export function frame(
  type: number,
  id: number,
  payload: Buffer = Buffer.alloc(0),
  length = payload.length,
): Buffer {
  const head = Buffer.alloc(FRAME_HEADER);
  head.writeUInt32BE(length, 0);
  head[4] = type;
  head.writeUInt32BE(id, 5);
  return Buffer.concat([head, payload]);
}

export function messagePayload(header: Record<string, string>, body: string): Buffer {
  const buf = Buffer.alloc(headerBound(header));
  const end = encodeHeader(header, buf, 0);
  return Buffer.concat([buf.subarray(0, end), Buffer.from(body)]);
}

export interface RawFrame {
  type: number;
  id: number;
  payload: Buffer;
}

export interface RawConnection {
  socket: Socket;
  frames: RawFrame[];
  closed: Promise<void>;
  isClosed: () => boolean;
}

/** A plain socket to `address` whose incoming frames (after the server's preface) are collected. */
export function rawConnect(address: string): Promise<RawConnection> {
  const { host, port } = splitHostPort(address);
  const socket = connect({ host, port });
  const frames: RawFrame[] = [];
  const parser = new FrameParser(
    64 << 20,
    (type, id, buf, start, end) => frames.push({ type, id, payload: Buffer.from(buf.subarray(start, end)) }),
    () => socket.destroy(),
  );
  let isClosed = false;
  socket.on('data', (d: Buffer) => parser.push(d));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      resolve();
    }),
  );
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve({ socket, frames, closed, isClosed: () => isClosed }));
    socket.once('error', reject);
  });
}
