/**
 * The HTTP broker's inbox endpoint: accepts `POST /?id=<nodeId>` with a broker envelope, finds the
 * subscription by node id and topic, and answers 200 only once the handler has acknowledged the
 * message (it resolved with auto-ack, or called `ack()`); a handler that throws gets a 500, so the
 * publisher retries. Bad requests get go-micro error JSON with 400/404/405/413. A batch of envelopes
 * from a nest-micro publisher (batch.ts) is delivered concurrently, each as a single POST would be,
 * and answered with the outcome of each.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toMicroError } from '../../errors/from-unknown.js';
import { MicroError } from '../../errors/micro-error.js';
import type { BrokerEvent, BrokerHandler } from '../broker.js';
import { BATCH_CONTENT_TYPE, BATCH_HEADER, encodeResults, splitBatch } from './batch.js';
import { BROKER_ERROR_ID, decodeEnvelope } from './envelope.js';

export interface LocalSubscription {
  topic: string;
  handler: BrokerHandler;
  autoAck: boolean;
}

export interface ReceiverOptions {
  find(nodeId: string): LocalSubscription | undefined;
  maxBodySize: number;
  /** How long a manual-ack handler may take to call `ack()` after it resolved (ms). */
  ackTimeout: number;
}

function reply(res: ServerResponse, error?: MicroError): void {
  if (res.headersSent || res.destroyed) return;
  if (!error) {
    res.writeHead(200, { 'content-length': 0, [BATCH_HEADER]: '1' }).end();
    return;
  }
  send(res, error.code, JSON.stringify(error.toJSON()));
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    [BATCH_HEADER]: '1',
  });
  res.end(body);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    const tooLarge = (): MicroError =>
      MicroError.payloadTooLarge(BROKER_ERROR_ID, `broker message larger than ${limit} bytes`);
    if (declared > limit) return reject(tooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge());
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', (error) => reject(MicroError.badRequest(BROKER_ERROR_ID, error.message)));
  });
}

async function deliver(sub: LocalSubscription, event: BrokerEvent, acked: Promise<void>, ackTimeout: number) {
  await sub.handler(event);
  if (sub.autoAck) return event.ack();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(MicroError.timeout(BROKER_ERROR_ID, `handler for ${event.topic} did not acknowledge`)),
      ackTimeout,
    );
  });
  try {
    await Promise.race([acked, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The `id` query parameter of a request target (`/?id=<nodeId>`). */
function nodeId(target: string): string {
  const query = target.indexOf('?');
  return query === -1 ? '' : (new URLSearchParams(target.slice(query + 1)).get('id') ?? '');
}

export function createReceiver(options: ReceiverOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      if (req.method !== 'POST') {
        req.resume();
        res.setHeader('allow', 'POST');
        throw MicroError.methodNotAllowed(BROKER_ERROR_ID, 'Method not allowed');
      }
      const body = await readBody(req, options.maxBodySize);
      const id = nodeId(req.url ?? '/');
      if (req.headers['content-type'] === BATCH_CONTENT_TYPE) {
        const results = await Promise.all(splitBatch(body).map((line) => receive(options, id, line)));
        if (!res.headersSent && !res.destroyed) send(res, 200, encodeResults(results));
        return;
      }
      reply(res, (await receive(options, id, body)) ?? undefined);
    } catch (error) {
      reply(res, toMicroError(error, BROKER_ERROR_ID));
    }
  };
}

/** Delivers one envelope to the subscription `id`: null once acknowledged, else why not. */
async function receive(options: ReceiverOptions, id: string, envelope: Buffer): Promise<MicroError | null> {
  let done = false;
  try {
    const { topic, message } = decodeEnvelope(envelope);
    const sub = options.find(id);
    if (!sub || sub.topic !== topic)
      throw MicroError.notFound(BROKER_ERROR_ID, `no subscriber ${id} for topic ${topic}`);
    let ack!: () => void;
    const acked = new Promise<void>((resolve) => (ack = resolve));
    const event: BrokerEvent = {
      topic,
      message,
      ack: async () => {
        done = true;
        ack();
      },
    };
    await deliver(sub, event, acked, options.ackTimeout);
    return null;
  } catch (error) {
    return done ? null : toMicroError(error, BROKER_ERROR_ID);
  }
}
