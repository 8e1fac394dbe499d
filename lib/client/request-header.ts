/**
 * The mucp request header of a call or a stream: the caller's metadata (lower-case keys) under
 * the routing headers go-micro sends (Content-Type, Accept, Micro-Id, Micro-Service,
 * Micro-Endpoint, Micro-Method).
 */
import { HEADER } from '../metadata/headers.js';
import type { MetadataInit } from '../metadata/metadata.js';
import type { Header } from '../transport/transport.js';

export function requestHeader(
  service: string,
  endpoint: string,
  id: string,
  contentType: string,
  metadata?: MetadataInit,
): Header {
  const header: Header = {};
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
