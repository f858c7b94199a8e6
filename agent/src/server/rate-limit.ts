// A token bucket: `rps` tokens a second, at most `burst` saved up. One
// request takes one token; without one it is refused with the time until the
// next token, for Retry-After.
export interface RateLimit {
  /** Tokens added per second; 0 turns the limit off. */
  rps: number;
  burst: number;
}

export class TokenBucket {
  private tokens: number;
  private updated: number;

  constructor(
    private limit: RateLimit,
    private readonly now: () => number = () => performance.now()
  ) {
    this.tokens = limit.burst;
    this.updated = now();
  }

  /** Changes the rate; tokens saved so far are kept, up to the new burst. */
  configure(limit: RateLimit): void {
    this.refill();
    this.limit = limit;
    this.tokens = Math.min(this.tokens, limit.burst);
  }

  /** 0 when a token was taken, else the seconds to wait (rounded up, at least 1). */
  take(): number {
    if (this.limit.rps <= 0) {
      return 0;
    }
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.limit.rps));
  }

  private refill(): void {
    const now = this.now();
    const elapsed = (now - this.updated) / 1000;
    this.updated = now;
    if (this.limit.rps > 0) {
      this.tokens = Math.min(this.limit.burst, this.tokens + elapsed * this.limit.rps);
    }
  }
}
