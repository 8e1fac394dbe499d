/**
 * A stream endpoint over Server-Sent Events: each reply is one `data:` event (JSON), the end of the
 * stream an `end` event, a failure an `error` event carrying go-micro's error JSON, and the
 * connection closes after either. Replies are pulled: the next one is read from the stream only
 * once the previous one left the socket, so a slow HTTP client slows the service down (its window)
 * instead of filling the gateway's memory. The HTTP client going away cancels the stream end to end.
 */
import type { ServerResponse } from 'node:http';
import { once } from 'node:events';
import { toMicroError } from '../core/errors/from-unknown.js';
import { GATEWAY_ERROR_ID, httpStatus } from './http-io.js';

/** Writes the replies of `replies` as SSE; resolves with the status to report (200, or the error's). */
export async function pipeSse(res: ServerResponse, replies: AsyncIterable<unknown>): Promise<number> {
  const iterator = replies[Symbol.asyncIterator]();
  let closed = false;
  let onClose!: () => void;
  const gone = new Promise<IteratorResult<unknown>>((resolve) => {
    onClose = () => {
      closed = true;
      resolve({ done: true, value: undefined });
    };
  });
  res.once('close', onClose);
  let opened = false;
  const open = (): void => {
    if (opened) return;
    opened = true;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
  };
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), gone]);
      if (closed) return 499;
      open();
      if (next.done) {
        res.end('event: end\ndata: {}\n\n');
        return 200;
      }
      if (!res.write(`data: ${JSON.stringify(next.value ?? null)}\n\n`))
        await Promise.race([once(res, 'drain'), gone]);
      if (closed) return 499;
    }
  } catch (error) {
    const micro = toMicroError(error, GATEWAY_ERROR_ID);
    const json = JSON.stringify({
      id: micro.id,
      code: micro.code,
      detail: micro.detail,
      status: micro.status,
    });
    if (!opened && !res.headersSent) {
      // nothing was streamed yet: a plain HTTP error, as for a unary call
      res.writeHead(httpStatus(micro.code), { 'Content-Type': 'application/json' }).end(json);
      return httpStatus(micro.code);
    }
    res.end(`event: error\ndata: ${json}\n\n`);
    return httpStatus(micro.code);
  } finally {
    res.off('close', onClose);
    if (closed) void iterator.return?.();
  }
}
