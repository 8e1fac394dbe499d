/**
 * A stream endpoint over a WebSocket (`api/stream`): the page's frames become the stream's requests
 * and the stream's replies become frames, through the library's client (`client.stream`). Frames,
 * JSON text both ways — page → server: `{type:'send', data}`, `{type:'end'}` (no more sends: the
 * client half-closes), `{type:'cancel'}`; server → page: `{type:'message', data}`, `{type:'error',
 * error}` (go-micro's error JSON), `{type:'end'}`, after which the server closes the socket. The
 * socket closing cancels the stream end to end. A page that reads slowly slows the stream down:
 * the next reply is taken only once the socket's buffer is under a megabyte.
 */
import { Subject } from 'rxjs';
import type WebSocket from 'ws';
import { errorText } from '../core/errors/error-text.js';
import { MicroError } from '../core/errors/micro-error.js';
import type { GatewayClient } from '../gateway/options.js';
import { errorJson } from './fleet.js';
import { WEB_ERROR_ID } from './options.js';

const HIGH_WATER = 1024 * 1024;

export interface StreamTarget {
  service: string;
  endpoint: string;
  metadata: Record<string, string>;
  timeout?: number;
}

type Frame = { type: 'send'; data?: unknown } | { type: 'end' } | { type: 'cancel' };

export function runStreamSocket(socket: WebSocket, client: GatewayClient, target: StreamTarget): void {
  const requests = new Subject<unknown>();
  let finished = false;
  let iterator: AsyncIterator<unknown> | undefined;

  const send = (frame: unknown): Promise<void> =>
    new Promise((resolve) => {
      if (socket.readyState !== socket.OPEN) return resolve();
      socket.send(JSON.stringify(frame), () => resolve());
    });
  const finish = async (last: unknown): Promise<void> => {
    if (finished) return;
    finished = true;
    if (!requests.closed) requests.complete();
    if (last !== undefined) await send(last);
    socket.close(1000);
  };
  const cancel = (): void => {
    void iterator?.return?.();
  };

  socket.on('message', (raw, isBinary) => {
    let frame: Frame;
    try {
      if (isBinary) throw new Error('binary frames are not accepted');
      frame = JSON.parse(String(raw)) as Frame;
    } catch (error) {
      const detail = `a frame is not JSON text: ${errorText(error)}`;
      cancel();
      void finish({ type: 'error', error: errorJson(MicroError.badRequest(WEB_ERROR_ID, detail)) });
      return;
    }
    if (frame?.type === 'send') {
      if (!requests.closed) requests.next(frame.data ?? {});
    } else if (frame?.type === 'end') {
      if (!requests.closed) requests.complete();
    } else if (frame?.type === 'cancel') {
      cancel();
      void finish({ type: 'end', cancelled: true });
    } else {
      cancel();
      const detail = `unknown frame type ${JSON.stringify((frame as { type?: unknown })?.type)}`;
      void finish({ type: 'error', error: errorJson(MicroError.badRequest(WEB_ERROR_ID, detail)) });
    }
  });
  socket.on('close', () => {
    cancel();
    finished = true;
    if (!requests.closed) requests.complete();
  });
  socket.on('error', () => undefined);

  const replies = client.stream(target.service, target.endpoint, requests, {
    metadata: target.metadata,
    timeout: target.timeout,
  });
  iterator = replies[Symbol.asyncIterator]();
  const pump = async (): Promise<void> => {
    for (;;) {
      const next = await iterator!.next();
      if (finished) return;
      if (next.done) return finish({ type: 'end' });
      const sent = send({ type: 'message', data: next.value ?? null });
      if (socket.bufferedAmount > HIGH_WATER) await sent;
    }
  };
  pump().catch((error: unknown) => finish({ type: 'error', error: errorJson(error) }));
}
