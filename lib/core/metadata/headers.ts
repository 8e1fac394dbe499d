/**
 * Header names of go-micro's mucp protocol and helpers to canonicalise them the way Go's
 * net/http does (`micro-id` → `Micro-Id`). Inside nest-micro header keys are lower-case.
 */
export const HEADER = {
  contentType: 'content-type',
  accept: 'accept',
  timeout: 'timeout',
  id: 'micro-id',
  service: 'micro-service',
  endpoint: 'micro-endpoint',
  method: 'micro-method',
  error: 'micro-error',
  stream: 'micro-stream',
  topic: 'micro-topic',
  from: 'micro-from-service',
} as const;

/** Headers that route a call; they are not user metadata. */
export const ROUTING_HEADERS: ReadonlySet<string> = new Set([
  HEADER.contentType,
  HEADER.accept,
  HEADER.timeout,
  HEADER.id,
  HEADER.service,
  HEADER.endpoint,
  HEADER.method,
  HEADER.error,
  HEADER.stream,
  'content-length',
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
]);

/** `micro-id` → `Micro-Id`, as Go's textproto.CanonicalMIMEHeaderKey writes it. */
export function canonicalHeader(key: string): string {
  let canonical = CANONICAL.get(key);
  if (canonical !== undefined) return canonical;
  canonical = key
    .toLowerCase()
    .replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
  if (CANONICAL.size >= CANONICAL_LIMIT) CANONICAL.clear(); // bounded: keys may come from callers' metadata
  CANONICAL.set(key, canonical);
  return canonical;
}

/** Canonical forms already computed (every call sends the same few header names). */
const CANONICAL = new Map<string, string>();
const CANONICAL_LIMIT = 1_024;

/**
 * The longest budget a timer can hold (2^31 - 1 ms, about 24.8 days): Node fires a longer
 * setTimeout after 1 ms, so a longer Timeout header would expire a stream (or a nested call) at once.
 */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * go-micro's Timeout header carries nanoseconds as a decimal string. A budget over MAX_TIMEOUT_MS
 * (about 24.8 days) is read as MAX_TIMEOUT_MS.
 */
export function timeoutHeaderToMs(value: string | undefined): number | undefined {
  if (!value || !DIGITS.test(value)) return undefined;
  // up to 15 digits a double holds the value exactly; longer ones (absurd budgets) go through BigInt
  const ms = value.length <= 15 ? Math.floor(Number(value) / 1_000_000) : Number(BigInt(value) / 1_000_000n);
  return ms > 0 ? Math.min(ms, MAX_TIMEOUT_MS) : undefined;
}

const DIGITS = /^\d+$/;

/**
 * A budget in ms as a Timeout header. One over MAX_TIMEOUT_MS (Infinity included) goes as
 * MAX_TIMEOUT_MS: what a nest-micro server reads it as anyway, and within go-micro's int64 of ns.
 */
export function msToTimeoutHeader(ms: number): string {
  const whole = Math.max(1, Math.min(Math.round(ms), MAX_TIMEOUT_MS));
  return `${whole}000000`;
}

/** A delay for setTimeout: Node fires one over MAX_TIMEOUT_MS (Infinity included) after 1 ms. */
export function timerDelay(ms: number): number {
  return ms < MAX_TIMEOUT_MS ? ms : MAX_TIMEOUT_MS;
}
