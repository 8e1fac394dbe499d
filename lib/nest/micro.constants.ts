/** Injection tokens of MicroModule. */
export const MICRO_OPTIONS = Symbol.for('nest-micro:options');
