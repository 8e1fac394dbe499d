/**
 * The client's call path, shared by every MicroClient of a module: select → dial → encode → send,
 * with a whole-call budget, per-attempt timeouts, retries of what is safe to retry (on another
 * node when there is one), deadline inheritance from the request being served, and selector
 * feedback (`mark`) after every attempt.
 */
import { randomUUID } from 'node:crypto';
import type { Codec } from '../codec/codec.js';
import { Codecs } from '../codec/codecs.js';
import { MicroError } from '../errors/micro-error.js';
import { HEADER, msToTimeoutHeader } from '../metadata/headers.js';
import type { ResolvedOptions } from '../options.js';
import type { Node } from '../registry/registry.js';
import type { Next } from '../selector/selector.js';
import { currentCallContext } from '../server/call-scope.js';
import type { Header, Message } from '../transport/transport.js';
import {
  mergeCallOptions,
  type AttemptFn,
  type AttemptWrapper,
  type CallFn,
  type CallRequest,
  type ClientCallOptions,
} from './call-options.js';
import { TransportChoice } from './transport-choice.js';

const CLIENT_ID = 'go.micro.client';
const TRANSPORT_ID = 'go.micro.transport';

export class RpcCaller {
  readonly codecs: Codecs;

  private readonly transports: TransportChoice;

  constructor(private readonly options: ResolvedOptions) {
    this.codecs = new Codecs(options.codecs);
    this.transports = new TransportChoice(options.transport);
  }

  /** Closes transports opened for nodes that advertise another one than the module's. */
  close(): Promise<void> {
    return this.transports.close();
  }

  call<T = unknown>(
    service: string,
    endpoint: string,
    data: unknown,
    callOptions?: Partial<ClientCallOptions>,
  ): Promise<T> {
    const options = mergeCallOptions(this.options.client, callOptions);
    const request: CallRequest = { service, endpoint, data, options };
    const wrappers = options.wrappers;
    if (!wrappers?.length) return this.execute(request) as Promise<T>;
    const run = wrappers.reduceRight<CallFn>(
      (next, wrap) => wrap(next),
      (r) => this.execute(r),
    );
    return run(request) as Promise<T>;
  }

  private async execute({ service, endpoint, data, options: o }: CallRequest): Promise<unknown> {
    const deadline = this.deadline(o.timeout, service, endpoint);
    const codec = this.codecs.get(o.contentType);
    const id = randomUUID();
    const header = this.header(service, endpoint, id, codec, o);
    const body = codec.encodeRequest({ id, endpoint }, data, o.protobuf?.request);
    const next = o.address
      ? addressNext(o.address)
      : await this.options.selector.select(service, { filters: o.filters, strategy: o.strategy });
    const send = this.attemptFn(o.attemptWrappers);

    for (let attempt = 0; ; attempt++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw budgetSpent(service, endpoint, o.timeout);
      const node = next();
      const timeout = Math.min(remaining, o.attemptTimeout ?? remaining);
      header[HEADER.timeout] = msToTimeoutHeader(timeout);
      const started = Date.now();
      let failure: MicroError;
      try {
        const reply = await send({ service, endpoint, node, header: { ...header }, body, timeout, attempt });
        const replyError = reply.header[HEADER.error];
        if (replyError === undefined || replyError === '') {
          this.mark(service, node, null, started);
          return codec.decodeResponse(reply.body, o.protobuf?.response).body;
        }
        failure = MicroError.parse(replyError, service);
      } catch (error) {
        failure =
          error instanceof MicroError ? error : MicroError.unavailable(TRANSPORT_ID, String(error), false);
      }
      this.mark(service, node, failure, started);
      if (attempt >= o.retries || !isRetryable(failure, o.idempotent)) throw failure;
      const pause = Math.min(o.backoff(attempt + 1), deadline - Date.now());
      if (pause > 0) await new Promise((r) => setTimeout(r, pause));
    }
  }

  private attemptFn(wrappers: AttemptWrapper[] | undefined): AttemptFn {
    const base: AttemptFn = (a) => this.send(a.node, { header: a.header, body: a.body }, a.timeout);
    return wrappers?.length ? wrappers.reduceRight<AttemptFn>((next, wrap) => wrap(next), base) : base;
  }

  private send(node: Node, message: Message, timeout: number): Promise<Message> {
    const client = this.transports.for(node).dial(node.address);
    return new Promise((resolve, reject) => {
      client.call(message, { timeout }, (error, reply) => (error ? reject(error) : resolve(reply!)));
    });
  }

  private deadline(timeout: number, service: string, endpoint: string): number {
    const own = Date.now() + timeout;
    const inherited = currentCallContext()?.getDeadline();
    if (inherited === undefined || inherited >= own) return own;
    if (inherited <= Date.now()) throw budgetSpent(service, endpoint, timeout, true);
    return inherited;
  }

  private header(service: string, endpoint: string, id: string, codec: Codec, o: ClientCallOptions): Header {
    const header: Header = {};
    if (o.metadata)
      for (const [k, v] of Object.entries(o.metadata))
        if (v !== undefined) header[k.toLowerCase()] = String(v);
    header[HEADER.contentType] = codec.contentType;
    header[HEADER.accept] = codec.contentType;
    header[HEADER.id] = id;
    header[HEADER.service] = service;
    header[HEADER.endpoint] = endpoint;
    header[HEADER.method] = endpoint;
    return header;
  }

  private mark(service: string, node: Node, error: MicroError | null, started: number): void {
    this.options.selector.mark(service, node, error, { duration: Date.now() - started });
  }
}

/**
 * Worth another attempt: the request certainly was not delivered (the transport says so), or the
 * server asked for it (draining); for idempotent calls also a timeout (go-micro's default policy
 * retries 408) and an unavailable node (503: a connection lost after sending, a node shedding
 * load). Other application errors are never retried.
 */
export function isRetryable(error: MicroError, idempotent: boolean): boolean {
  if (error.retryable) return true;
  return idempotent && (error.code === 408 || error.code === 503);
}

function budgetSpent(service: string, endpoint: string, timeout: number, inherited = false): MicroError {
  const why = inherited ? "the caller's deadline has passed" : `no reply within ${timeout}ms`;
  return MicroError.timeout(
    CLIENT_ID,
    `call to ${service}.${endpoint.split('.').pop()} (${endpoint}) timed out: ${why}`,
  );
}

/** go-micro's client.WithAddress: fixed addresses instead of discovery, tried in rotation. */
function addressNext(address: string | string[]): Next {
  const list = Array.isArray(address) ? address : [address];
  let i = 0;
  return () => {
    const addr = list[i++ % list.length]!;
    return { id: addr, address: addr, metadata: {} };
  };
}
