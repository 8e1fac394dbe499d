/**
 * The error of a transport that knows for certain nothing listens at a node's address: NATS answers
 * a request to a subject without subscribers with "no responders" at once. 503; retryable when the
 * request was certainly not delivered. The selector ejects such a node at its first failure instead
 * of after `failureThreshold` of them: a crashed go-micro node stays listed in a registry cache until
 * the entry expires (go-micro's NATS registry sends no TTL), and every caller would keep trying it.
 * An ejected node still gets its half-open probe after the cooldown, so a node that comes back on
 * the same subject returns to rotation.
 */
import { MicroError } from './micro-error.js';

const gone = new WeakSet<MicroError>();

export function nodeGone(id: string, detail: string, retryable = true): MicroError {
  const error = MicroError.unavailable(id, detail, retryable);
  gone.add(error);
  return error;
}

/** An error made by `nodeGone`: the node's address has no listener. */
export function isNodeGone(error: unknown): boolean {
  return error instanceof MicroError && gone.has(error);
}
