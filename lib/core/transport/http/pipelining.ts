/**
 * One call at a time per HTTP connection, as Go's net/http (so go-micro's server) serves them. A
 * request pipelined behind one still being answered waits until that answer is out; HTTP/1.1
 * answers go out in order anyway, and a client that sends many requests without reading a reply
 * (a slow reader) would otherwise make the server compute and hold every reply at once — a small
 * burst of requests for large replies filled memory. At most PIPELINE_DEPTH requests wait per
 * connection; one more is refused with a retryable 503 (a small answer, never run). Meanwhile
 * node:http stops reading the connection on its own once the answers back up. go-micro's and
 * nest-micro's clients never pipeline, so for them nothing changes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { MicroError, statusText } from '../../errors/micro-error.js';

/** Requests that may wait behind the one being answered, per connection. */
export const PIPELINE_DEPTH = 32;

interface Line {
  busy: boolean;
  waiting: (() => void)[];
}

const lines = new WeakMap<Socket, Line>();

/**
 * Runs `call` now when nothing else on `req`'s connection is being answered, later otherwise;
 * returns false (not run, not queued) when PIPELINE_DEPTH requests already wait.
 */
export function inTurn(req: IncomingMessage, res: ServerResponse, call: () => void): boolean {
  const socket = req.socket;
  let line = lines.get(socket);
  if (line === undefined) {
    const created: Line = { busy: false, waiting: [] };
    lines.set(socket, created);
    socket.once('close', () => (created.waiting = []));
    line = created;
  }
  const start = (): void => {
    res.once('close', () => next(line));
    call();
  };
  if (!line.busy) {
    line.busy = true;
    start();
    return true;
  }
  if (line.waiting.length >= PIPELINE_DEPTH) return false;
  line.waiting.push(start);
  return true;
}

function next(line: Line): void {
  const start = line.waiting.shift();
  if (start) start();
  else line.busy = false;
}

export function tooManyPipelined(serverId: string): MicroError {
  return new MicroError(
    `${serverId}:maxQueued`,
    `more than ${PIPELINE_DEPTH} requests pipelined on one connection; retry`,
    503,
    statusText(503),
    true,
  );
}
