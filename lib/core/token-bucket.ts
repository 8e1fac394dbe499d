/**
 * A token bucket (rate limiting): `burst` tokens, refilled lazily at `rate` per second from an
 * injectable clock; a call takes one. A plain counter, so an admitted call costs no promise and no
 * timer. Used by the server's `rateLimit` and the MCP server's per-tool limit.
 */

export type Clock = () => number;

export interface RateLimit {
  /** Calls per second, on average (> 0). */
  rate: number;
  /** Calls that may arrive at once after a quiet spell (default: one second's worth, at least 1). */
  burst?: number;
}

/** Token bucket: `burst` tokens, refilled at `rate` per second; a call takes one. */
export class TokenBucket {
  private tokens: number;
  private at: number;
  readonly burst: number;

  constructor(
    readonly rate: number,
    burst: number | undefined,
    private readonly clock: Clock = Date.now,
  ) {
    if (!(rate > 0) || !Number.isFinite(rate))
      throw new RangeError(`rateLimit.rate must be > 0, got ${rate}`);
    this.burst = burst ?? Math.max(1, Math.ceil(rate));
    if (!(this.burst >= 1)) throw new RangeError(`rateLimit.burst must be at least 1, got ${burst}`);
    this.tokens = this.burst;
    this.at = clock();
  }

  take(): boolean {
    const now = this.clock();
    if (now > this.at) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.rate) / 1000);
      this.at = now;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
