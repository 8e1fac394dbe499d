/** Per-call metadata and the mucp header vocabulary. */
export * from './metadata.js';
export * from './headers.js';
