/**
 * Serves unary calls: routes a request message to its handler by endpoint (header, or the body's
 * envelope for json-rpc/proto-rpc), decodes it with the codec of its Content-Type, runs the handler
 * and encodes the reply in the caller's codec. A call past the service's or the handler's limits is
 * refused before its body is decoded (503 shed, 429 rate limited); one that waited in a queue past
 * the caller's deadline is answered with a 408 unrun. Every failure becomes a reply carrying a MicroError
 * in the `Micro-Error` header (and in the envelope for framing codecs); nothing is thrown.
 */
import type { MessageHandler } from '@nestjs/microservices';
import type { Codec } from '../../core/codec/codec.js';
import type { Codecs } from '../../core/codec/codecs.js';
import { microExtras, type HandlerExtras } from '../decorators/handler-meta.js';
import { toMicroError } from '../errors.js';
import { MicroError } from '../../core/errors/micro-error.js';
import { HEADER, ROUTING_HEADERS, timeoutHeaderToMs } from '../../core/metadata/headers.js';
import { Metadata } from '../../core/metadata/metadata.js';
import type { Header, Message, Peer, Reply } from '../../core/transport/transport.js';
import type { HandlerInvoker } from './handler-invoker.js';
import type { ServerLimits } from './limits.js';
import { MicroContext } from './micro-context.js';

const EMPTY: Buffer = Buffer.alloc(0);
export const HEALTH_ENDPOINT = 'Debug.Health';

export interface DispatcherHost {
  readonly service: string;
  readonly codecs: Codecs;
  readonly invoker: HandlerInvoker;
  handler(endpoint: string): MessageHandler | undefined;
  /** Null when calls are accepted; the refusal (retryable "draining") otherwise. */
  refusal(): MicroError | null;
  track(delta: number): void;
  /** maxConcurrent / maxQueued / rateLimit of the service and its handlers. */
  readonly limits: ServerLimits;
}

export function dispatchCall(host: DispatcherHost, request: Message, reply: Reply, peer: Peer): void {
  const header = request.header;
  const contentType = header[HEADER.contentType] || host.codecs.unlabelled;
  let id = header[HEADER.id] ?? '';
  let endpoint = header[HEADER.endpoint] || header[HEADER.method] || '';
  /** The id a framing codec's reply envelope echoes: the request envelope's (go-micro's rpc_router). */
  let envelopeId = id;
  let codec: Codec | undefined;
  const fail = (error: unknown): void =>
    reply(errorReply(toMicroError(error, host.service), id, envelopeId, endpoint, contentType, codec));
  try {
    codec = host.codecs.get(contentType);
    if (codec.decodeHeader && (!endpoint || !id)) {
      const envelope = codec.decodeHeader(request.body);
      endpoint ||= envelope.endpoint ?? '';
      envelopeId = envelope.id ?? '';
      id ||= envelopeId;
    }
    const handler = host.handler(endpoint);
    if (!handler || handler.isEventHandler) {
      if (endpoint === HEALTH_ENDPOINT) return replyWith(codec, { status: 'ok' });
      return fail(
        MicroError.notFound(
          host.service,
          `unknown endpoint ${endpoint || '(none)'} on service ${host.service}`,
        ),
      );
    }
    const refusal = host.refusal();
    if (refusal) return fail(refusal);
    const micro = microExtras(handler.extras);
    if (micro?.stream) {
      const detail = `${endpoint} is a streaming endpoint; open a stream to it instead`;
      return fail(MicroError.badRequest(host.service, detail));
    }
    const deadline = deadlineOf(header);
    const used = codec;
    let waited = false;
    host.track(+1);
    host.limits.enter(
      handler,
      endpoint,
      micro?.limits,
      () => serve(handler, micro, used, deadline, waited),
      (shed) => {
        host.track(-1);
        fail(shed);
      },
    );
    waited = true; // a `serve` from now on ran after waiting in a queue
  } catch (error) {
    fail(error);
  }

  /** The admitted call: decoded, run, answered; its slot and drain count are released once. */
  function serve(
    handler: MessageHandler,
    micro: HandlerExtras | undefined,
    c: Codec,
    deadline: number | undefined,
    waited: boolean,
  ): void {
    let released = false;
    const release = (): boolean => {
      if (released) return false;
      released = true;
      host.limits.leave(handler);
      host.track(-1);
      return true;
    };
    try {
      if (waited && deadline !== undefined && Date.now() >= deadline) {
        release();
        const detail = `${endpoint} waited in ${host.service}'s queue past the caller's deadline`;
        return fail(MicroError.timeout(host.service, detail));
      }
      const decoded = c.decodeRequest(request.body, micro?.requestSchema);
      if (decoded.header?.id !== undefined) envelopeId = decoded.header.id;
      const context = new MicroContext({
        service: host.service,
        endpoint,
        id,
        metadata: metadataOf(header),
        remote: peer.remote,
        local: peer.local,
        contentType,
        deadline,
      });
      host.invoker.unary(handler, decoded.body, context, (error, value) => {
        if (!release()) return;
        if (error !== undefined) return fail(error);
        try {
          replyWith(c, value, micro?.responseSchema);
        } catch (encodeError) {
          fail(encodeError);
        }
      });
    } catch (error) {
      if (release()) fail(error);
    }
  }

  function replyWith(c: Codec, value: unknown, schema?: unknown): void {
    const body = c.encodeResponse({ id: envelopeId, endpoint }, value, schema);
    reply({ header: { [HEADER.contentType]: contentType, [HEADER.id]: id }, body });
  }
}

/** The call's metadata: every header but the routing ones (read lazily). */
export function metadataOf(header: Header): Metadata {
  return Metadata.fromHeader(header, ROUTING_HEADERS);
}

function deadlineOf(header: Header): number | undefined {
  const ms = timeoutHeaderToMs(header[HEADER.timeout]);
  return ms === undefined ? undefined : Date.now() + ms;
}

/** The error in the Micro-Error header; framing codecs (json-rpc, proto-rpc) also carry it in the envelope. */
function errorReply(
  error: MicroError,
  id: string,
  envelopeId: string,
  endpoint: string,
  contentType: string,
  codec?: Codec,
): Message {
  let body: Buffer = EMPTY;
  if (codec?.decodeHeader) {
    try {
      body = codec.encodeResponse({ id: envelopeId, endpoint, error: error.toString() }, undefined);
    } catch {
      body = EMPTY;
    }
  }
  return {
    header: { [HEADER.error]: error.toString(), [HEADER.id]: id, [HEADER.contentType]: contentType },
    body,
  };
}
