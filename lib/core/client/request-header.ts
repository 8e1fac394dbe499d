/**
 * The mucp request header of a call or a stream: the metadata of the call being served (call
 * scope), then the caller's metadata (lower-case keys), under the routing headers go-micro sends
 * (Content-Type, Accept, Micro-Id, Micro-Service, Micro-Endpoint, Micro-Method). Carrying the
 * served call's metadata on is what a go-micro handler does by passing its ctx to the client: trace
 * ids, tenants and auth headers cross every hop, Go or Node.
 */
import { HEADER } from '../metadata/headers.js';
import type { MetadataInit } from '../metadata/metadata.js';
import { currentServedCall } from './call-scope.js';
import type { Header } from '../transport/transport.js';

/**
 * Incoming headers that describe one hop, not the call: the pub/sub topic (go-micro skips it too: a
 * Go server takes a request carrying it for a broker message), the HTTP client's agent and
 * encoding, and the addresses a go-micro server adds to its handler's metadata.
 */
const HOP_ONLY: ReadonlySet<string> = new Set([
  HEADER.topic,
  'user-agent',
  'accept-encoding',
  'local',
  'remote',
]);

export function requestHeader(
  service: string,
  endpoint: string,
  id: string,
  contentType: string,
  metadata?: MetadataInit,
): Header {
  const header: Header = {};
  const served = currentServedCall()?.getMetadata();
  if (served && served.size > 0) {
    for (const [k, v] of served.entries()) if (!HOP_ONLY.has(k)) header[k] = v;
  }
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) if (v !== undefined) header[k.toLowerCase()] = String(v);
  }
  header[HEADER.contentType] = contentType;
  header[HEADER.accept] = contentType;
  header[HEADER.id] = id;
  header[HEADER.service] = service;
  header[HEADER.endpoint] = endpoint;
  header[HEADER.method] = endpoint;
  return header;
}
