// Optional authentication of HTTP requests: a bearer token or basic auth
// with bcrypt hashes (the scheme Prometheus' own web config uses, so the same
// `htpasswd -nbB` output works for both). Secrets are compared in constant
// time.
//
// bcrypt is slow on purpose (tens of milliseconds of the event loop at cost
// 10, four times that at 12), which makes every new password a client sends a
// CPU bill the agent pays. So the hashing work is bounded three ways: a
// credential that passed is remembered (a scrape every 15 s costs one check
// per process, and failures cannot push it out), a credential that failed is
// remembered too, and the checks that are left draw on a budget per client
// and one for the whole server, counted in units of one cost-10 hash. A
// request that finds the budget spent is answered 429 without hashing.
import { compare } from 'bcryptjs';
import { createHash, timingSafeEqual } from 'node:crypto';

import type { AuthConfig } from '../config/schema';
import { ClientBuckets, TokenBucket, type RateLimit } from './rate-limit';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Compared against when the user is unknown, so timing does not reveal which users exist. */
const DUMMY_HASH = '$2b$10$ta90NEiHcyrzF3CNj5g1GOMJpPjI9lTKUL7Be7CFl5QgZHIDf35B.';
/** Credentials that passed, kept until a reload; only a right password can enter. */
const PASSED_MAX = 64;
/** Credentials that failed, the oldest forgotten first. */
const FAILED_MAX = 1024;

/** bcrypt work one client may spend, in cost-10 units: four at once, then one every two seconds. */
export const HASH_BUDGET_PER_CLIENT: RateLimit = { rps: 0.5, burst: 4 };
/** bcrypt work all clients together may spend. */
export const HASH_BUDGET_TOTAL: RateLimit = { rps: 2, burst: 8 };

export type AuthVerdict =
  | { result: 'ok' }
  | { result: 'refused' }
  /** Not checked: the bcrypt budget is spent; retry after this many seconds. */
  | { result: 'throttled'; retryAfter: number };

export interface AuthenticatorOptions {
  /** Called for every bcrypt comparison run, for the metrics. */
  onHash?: () => void;
  now?: () => number;
}

/** The work of checking a password against `hash`, in units of one cost-10 bcrypt hash. */
export function hashUnits(hash: string): number {
  const cost = Number(/^\$2[abxy]?\$(\d\d)\$/.exec(hash)?.[1] ?? 10);
  return Math.max(1 / 64, 2 ** (cost - 10));
}

export class Authenticator {
  private bearer: Buffer | undefined;
  private users = new Map<string, string>();
  private readonly passed = new Set<string>();
  private readonly failed = new Set<string>();
  private readonly perClient: ClientBuckets;
  private readonly total: TokenBucket;

  constructor(
    private config: AuthConfig,
    private readonly options: AuthenticatorOptions = {}
  ) {
    this.perClient = new ClientBuckets(HASH_BUDGET_PER_CLIENT, 10_000, options.now);
    this.total = new TokenBucket(HASH_BUDGET_TOTAL, options.now);
    this.configure(config);
  }

  configure(config: AuthConfig): void {
    this.config = config;
    this.passed.clear();
    this.failed.clear();
    this.bearer = config.type === 'bearer' && config.token ? digest(config.token) : undefined;
    this.users = new Map(config.type === 'basic' ? Object.entries(config.users) : []);
  }

  get type(): AuthConfig['type'] {
    return this.config.type;
  }

  get exemptProbes(): boolean {
    return this.config.exempt_probes;
  }

  /** The WWW-Authenticate header of a 401. */
  challenge(): string {
    return this.config.type === 'basic' ? 'Basic realm="zviz", charset="UTF-8"' : 'Bearer realm="zviz"';
  }

  /** Checks an Authorization header sent by `client` (a key from clientKey()). */
  async check(header: string | undefined, client: string): Promise<AuthVerdict> {
    const refused = { result: 'refused' } as const;
    if (this.config.type === 'none') {
      return { result: 'ok' };
    }
    if (!header) {
      return refused;
    }
    const space = header.indexOf(' ');
    const scheme = header.slice(0, space).toLowerCase();
    const credentials = header.slice(space + 1).trim();
    if (space < 0 || !credentials) {
      return refused;
    }
    if (this.config.type === 'bearer') {
      const ok = scheme === 'bearer' && this.bearer !== undefined && timingSafeEqual(digest(credentials), this.bearer);
      return ok ? { result: 'ok' } : refused;
    }
    if (scheme !== 'basic') {
      return refused;
    }
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) {
      return refused;
    }
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const hash = this.users.get(user);
    const key = digest(`${user}\0${password}\0${hash ?? ''}`).toString('hex');
    if (this.passed.has(key)) {
      return { result: 'ok' };
    }
    if (this.failed.has(key)) {
      return refused;
    }
    const units = hashUnits(hash ?? DUMMY_HASH);
    const wait = Math.max(this.perClient.wait(client, units), this.total.wait(units));
    if (wait > 0) {
      return { result: 'throttled', retryAfter: wait };
    }
    this.perClient.take(client, units);
    this.total.take(units);
    this.options.onHash?.();
    const ok = (await compare(password, hash ?? DUMMY_HASH)) && hash !== undefined;
    remember(ok ? this.passed : this.failed, key, ok ? PASSED_MAX : FAILED_MAX);
    return ok ? { result: 'ok' } : refused;
  }
}

function remember(set: Set<string>, key: string, max: number): void {
  set.add(key);
  if (set.size > max) {
    set.delete(set.values().next().value!);
  }
}
