/** nest-micro/metadata: per-call metadata, and the mucp header names (go-micro's Micro-* headers). */
export { Metadata, type MetadataInit } from './metadata.js';
export { HEADER } from './headers.js';
