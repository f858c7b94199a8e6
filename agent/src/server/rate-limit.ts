// Token buckets: `rps` tokens a second, at most `burst` saved up. A request
// takes one token (a password check takes one per unit of bcrypt work);
// without enough it is refused with the time until there are, for
// Retry-After. ClientBuckets keeps one bucket per client, so one client's
// traffic never spends another's budget.
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

  /** 0 when `cost` tokens are there now, else the seconds until they are (rounded up, at least 1). */
  wait(cost = 1): number {
    if (this.limit.rps <= 0) {
      return 0;
    }
    this.refill();
    return this.tokens >= cost ? 0 : Math.max(1, Math.ceil((cost - this.tokens) / this.limit.rps));
  }

  /** 0 when `cost` tokens were taken, else the seconds to wait and nothing taken. */
  take(cost = 1): number {
    const wait = this.wait(cost);
    if (wait === 0 && this.limit.rps > 0) {
      this.tokens -= cost;
    }
    return wait;
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

/**
 * One bucket per client key. At most `maxClients` are kept: past that, the
 * least recently used bucket is dropped, and that client starts again with
 * a full bucket (only a client that rotates through more addresses than
 * this gains from it).
 */
export class ClientBuckets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private limit: RateLimit,
    private readonly maxClients = 10_000,
    private readonly now: () => number = () => performance.now()
  ) {}

  configure(limit: RateLimit): void {
    this.limit = limit;
    for (const bucket of this.buckets.values()) {
      bucket.configure(limit);
    }
  }

  /** As TokenBucket.wait, for this client's bucket. */
  wait(client: string, cost = 1): number {
    return this.buckets.get(client)?.wait(cost) ?? new TokenBucket(this.limit, this.now).wait(cost);
  }

  /** As TokenBucket.take, from this client's bucket. */
  take(client: string, cost = 1): number {
    if (this.limit.rps <= 0) {
      return 0;
    }
    let bucket = this.buckets.get(client);
    if (bucket) {
      // Most recently used last, so the first is the one to drop.
      this.buckets.delete(client);
    } else {
      bucket = new TokenBucket(this.limit, this.now);
    }
    this.buckets.set(client, bucket);
    if (this.buckets.size > this.maxClients) {
      this.buckets.delete(this.buckets.keys().next().value!);
    }
    return bucket.take(cost);
  }

  get size(): number {
    return this.buckets.size;
  }
}
