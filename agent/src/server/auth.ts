// Optional authentication of HTTP requests: a bearer token or basic auth
// with bcrypt hashes (the scheme Prometheus' own web config uses, so the same
// `htpasswd -nbB` output works for both). Secrets are compared in constant
// time; bcrypt runs once per distinct credential, then a digest of the
// credential and its verdict is remembered: a scrape every 15 s, or a
// misconfigured scraper retrying a wrong password, would otherwise cost a
// bcrypt round (tens of milliseconds of the event loop) each time.
import { compare } from 'bcryptjs';
import { createHash, timingSafeEqual } from 'node:crypto';

import type { AuthConfig } from '../config/schema';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Compared against when the user is unknown, so timing does not reveal which users exist. */
const DUMMY_HASH = '$2b$10$ta90NEiHcyrzF3CNj5g1GOMJpPjI9lTKUL7Be7CFl5QgZHIDf35B.';
const REMEMBERED_MAX = 256;

export class Authenticator {
  private bearer: Buffer | undefined;
  private users = new Map<string, string>();
  /** Digests of credentials already checked, with the verdict. */
  private readonly remembered = new Map<string, boolean>();

  constructor(private config: AuthConfig) {
    this.configure(config);
  }

  configure(config: AuthConfig): void {
    this.config = config;
    this.remembered.clear();
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

  async check(header: string | undefined): Promise<boolean> {
    if (this.config.type === 'none') {
      return true;
    }
    if (!header) {
      return false;
    }
    const space = header.indexOf(' ');
    const scheme = header.slice(0, space).toLowerCase();
    const credentials = header.slice(space + 1).trim();
    if (space < 0 || !credentials) {
      return false;
    }
    if (this.config.type === 'bearer') {
      return scheme === 'bearer' && this.bearer !== undefined && timingSafeEqual(digest(credentials), this.bearer);
    }
    if (scheme !== 'basic') {
      return false;
    }
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) {
      return false;
    }
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const hash = this.users.get(user);
    const key = digest(`${user}\0${password}\0${hash ?? ''}`).toString('hex');
    const known = this.remembered.get(key);
    if (known !== undefined) {
      return known;
    }
    const ok = (await compare(password, hash ?? DUMMY_HASH)) && hash !== undefined;
    if (this.remembered.size >= REMEMBERED_MAX) {
      this.remembered.clear();
    }
    this.remembered.set(key, ok);
    return ok;
  }
}
