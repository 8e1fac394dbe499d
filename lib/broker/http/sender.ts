/**
 * POSTs broker envelopes to subscriber nodes (`http(s)://<address>/?id=<nodeId>`) over kept-alive
 * connections. Tells apart a node that could not be reached from one that answered with an error.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import { MicroError } from '../../errors/micro-error.js';
import type { Node } from '../../registry/registry.js';
import { splitAddress } from '../../transport/transport.js';
import { BROKER_ERROR_ID } from './envelope.js';

export type SendResult = { ok: true } | { ok: false; reachable: boolean; error: MicroError };

export class Sender {
  private readonly http = new HttpAgent({ keepAlive: true, maxSockets: 64 });
  private readonly https: HttpsAgent;

  constructor(
    private readonly timeoutMs: number,
    tls: ConnectionOptions = {},
  ) {
    this.https = new HttpsAgent({ keepAlive: true, maxSockets: 64, ...tls });
  }

  send(node: Node, payload: Buffer, timeoutMs = this.timeoutMs): Promise<SendResult> {
    const secure = node.metadata.secure === 'true';
    const { host, port } = splitAddress(node.address);
    return new Promise((resolve) => {
      const fail = (reachable: boolean, error: MicroError): void => resolve({ ok: false, reachable, error });
      const req = (secure ? httpsRequest : httpRequest)(
        {
          host: host || '127.0.0.1',
          port,
          method: 'POST',
          path: `/?id=${encodeURIComponent(node.id)}`,
          headers: { 'content-type': 'application/json', 'content-length': payload.length },
          agent: secure ? this.https : this.http,
          timeout: timeoutMs,
        },
        (res) => readReply(res, node, resolve),
      );
      req.on('timeout', () =>
        req.destroy(MicroError.timeout(BROKER_ERROR_ID, `no reply from ${node.address}`)),
      );
      // A timeout means the subscriber took the request but did not acknowledge in time: it is alive,
      // so the retry counts as an attempt (bounded by maxAttempts) rather than "unreachable" (unbounded).
      req.on('error', (error) =>
        fail(
          MicroError.is(error) && error.code === 408,
          MicroError.is(error)
            ? error
            : MicroError.unavailable(BROKER_ERROR_ID, `cannot deliver to ${node.address}: ${error.message}`),
        ),
      );
      req.end(payload);
    });
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

function readReply(res: IncomingMessage, node: Node, resolve: (result: SendResult) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('error', (error) =>
    resolve({ ok: false, reachable: false, error: MicroError.unavailable(BROKER_ERROR_ID, error.message) }),
  );
  res.on('end', () => {
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return resolve({ ok: true });
    const text = Buffer.concat(chunks).toString() || `HTTP ${status} from ${node.address}`;
    const parsed = MicroError.parse(text, BROKER_ERROR_ID);
    const error =
      parsed.code === 500 && status !== 500 ? new MicroError(parsed.id, parsed.detail, status) : parsed;
    resolve({ ok: false, reachable: true, error });
  });
}
