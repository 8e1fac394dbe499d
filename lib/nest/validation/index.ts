/** Payload validation with class-validator/class-transformer, run by the server before a handler. */
export { PayloadValidationError, type ValidatePayloadOptions } from './validate-payload.js';
export type { Violation } from './violations.js';
