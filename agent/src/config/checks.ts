// Checks a schema cannot express: addresses that parse, credentials that can
// be used, TLS files that can be read and belong together. Run after the
// schema, so every value here already has the right type.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';

import { parseAddress } from './address';
import type { Config } from './schema';

export interface Problem {
  path: string;
  reason: string;
}

/** bcrypt as `htpasswd -nbB`, `mkpasswd -m bcrypt` or Python's bcrypt write it. */
export const BCRYPT_HASH = /^\$2[abxy]?\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

function fsReason(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') {
    return 'no such file';
  }
  if (e.code === 'EACCES') {
    return 'permission denied';
  }
  if (e.code === 'EISDIR') {
    return 'is a directory, not a file';
  }
  return e.message;
}

/** A credential file's content without the trailing newline editors add. */
export function readSecretFile(path: string): string {
  return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

/** Reads and cross-checks a certificate and its key; throws a Problem list. */
export function readTls(files: { cert_file: string; key_file: string }): TlsMaterial | Problem[] {
  const problems: Problem[] = [];
  let cert: Buffer | undefined;
  let key: Buffer | undefined;
  try {
    cert = readFileSync(files.cert_file);
    new X509Certificate(cert);
  } catch (error) {
    const reason = cert ? 'not a PEM certificate' : `cannot read ${files.cert_file}: ${fsReason(error)}`;
    problems.push({ path: 'metrics.tls.cert_file', reason });
    cert = undefined;
  }
  try {
    key = readFileSync(files.key_file);
    createPrivateKey(key);
  } catch (error) {
    const reason = key
      ? 'not a PEM private key (an encrypted key is not supported)'
      : `cannot read ${files.key_file}: ${fsReason(error)}`;
    problems.push({ path: 'metrics.tls.key_file', reason });
    key = undefined;
  }
  if (cert && key) {
    try {
      createSecureContext({ cert, key });
    } catch (error) {
      const message = (error as Error).message;
      problems.push({
        path: 'metrics.tls',
        reason: /mismatch/i.test(message)
          ? 'key_file is not the private key of cert_file'
          : `cannot use the certificate and key: ${message}`,
      });
    }
  }
  return problems.length > 0 || !cert || !key ? problems : { cert, key };
}

export function checkConfig(config: Config): Problem[] {
  const problems: Problem[] = [];
  const address = parseAddress(config.metrics.address);
  if ('error' in address) {
    problems.push({ path: 'metrics.address', reason: address.error });
  }

  const auth = config.metrics.auth as Record<string, unknown> & { type: string };
  const stray = (keys: string[]) => {
    for (const key of keys) {
      if (auth[key] !== undefined) {
        problems.push({ path: `metrics.auth.${key}`, reason: `does not apply to auth type "${auth.type}"` });
      }
    }
  };
  if (auth.type === 'none') {
    stray(['token', 'token_file', 'users']);
  } else if (auth.type === 'bearer') {
    stray(['users']);
    if ((auth.token === undefined) === (auth.token_file === undefined)) {
      problems.push({ path: 'metrics.auth', reason: 'bearer auth needs exactly one of token or token_file' });
    } else if (typeof auth.token_file === 'string') {
      try {
        const token = readSecretFile(auth.token_file);
        if (token.length < 16) {
          problems.push({
            path: 'metrics.auth.token_file',
            reason: `holds a token of ${token.length} characters; use at least 16 (e.g. openssl rand -hex 32)`,
          });
        } else {
          auth.token = token;
        }
      } catch (error) {
        problems.push({
          path: 'metrics.auth.token_file',
          reason: `cannot read ${auth.token_file}: ${fsReason(error)}`,
        });
      }
    }
  } else if (auth.type === 'basic') {
    stray(['token', 'token_file']);
    const users = (auth.users ?? {}) as Record<string, string>;
    if (Object.keys(users).length === 0) {
      problems.push({ path: 'metrics.auth.users', reason: 'basic auth needs at least one user: name: bcrypt-hash' });
    }
    for (const [user, hash] of Object.entries(users)) {
      if (!BCRYPT_HASH.test(hash)) {
        problems.push({
          path: `metrics.auth.users.${user}`,
          reason: "is not a bcrypt hash; make one with: htpasswd -nbBC 10 '' 'PASSWORD' | tr -d ':\\n'",
        });
      }
    }
  }

  if (config.metrics.tls) {
    const tls = readTls(config.metrics.tls);
    if (Array.isArray(tls)) {
      problems.push(...tls);
    }
  }
  return problems;
}
