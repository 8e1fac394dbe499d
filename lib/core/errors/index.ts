/**
 * nest-micro/errors: go-micro's {id, code, detail, status} error model (MicroError), the conversion
 * of anything thrown into one, and the load-shedding errors a server answers with.
 */
export { MicroError, statusText, type MicroErrorJson } from './micro-error.js';
export { toMicroError } from './from-unknown.js';
export { isShed, overloaded, rateLimited, type ShedLimit } from './overload.js';
