/** Errors: go-micro's {id, code, detail, status} model and the conversions into it. */
export * from './micro-error.js';
export * from './from-unknown.js';
export * from './overload.js';
