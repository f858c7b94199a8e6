// Checks a schema cannot express: addresses that parse, credentials that can
// be used, TLS files that can be read and belong together. Run after the
// schema, so every value here already has the right type.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { createSecureContext } from 'node:tls';

import { FileRefused, outputFileProblem, readRegularFile } from '../files/regular-file';
import { quote, QUOTE_MAX, shorten } from '../text/quote';
import { parseAddress } from './address';
import type { CoreConfig } from './schema';

/** A token is a line; a file much larger than that is the wrong file. */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;
/** A certificate chain or key in PEM: a few kilobytes each. */
export const MAX_PEM_FILE_BYTES = 1024 * 1024;

export interface Problem {
  path: string;
  reason: string;
}

/** bcrypt as `htpasswd -nbB`, `mkpasswd -m bcrypt` or Python's bcrypt write it. */
export const BCRYPT_HASH = /^\$2[abxy]?\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;
/**
 * The highest bcrypt cost accepted. Every password a client sends that the
 * agent has not checked before costs 2^cost of work; 12 is four times the
 * usual 10, and past it a few wrong passwords a second would take a core.
 */
export const MAX_BCRYPT_COST = 12;
const MAKE_HASH = "htpasswd -nbBC 10 '' 'PASSWORD' | tr -d ':\\n'";
/**
 * What an Authorization header can carry as a bearer token: a client trims
 * spaces around it and cannot send a line break, so a token with either
 * could never match (RFC 6750's token68 is stricter still; this allows any
 * visible ASCII).
 */
const BEARER_TOKEN = /^[\x21-\x7e]+$/;
const MAKE_TOKEN = 'generate one with: openssl rand -hex 32';

function fsReason(error: unknown): string {
  return error instanceof FileRefused ? error.reason : (error as Error).message;
}

/** A credential file's content without the trailing newline editors add. */
export function readSecretFile(path: string): string {
  return readRegularFile(path, MAX_SECRET_FILE_BYTES)
    .toString('utf8')
    .replace(/\r?\n$/, '');
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
    cert = readRegularFile(files.cert_file, MAX_PEM_FILE_BYTES);
    new X509Certificate(cert);
  } catch (error) {
    const reason = cert ? 'not a PEM certificate' : `cannot read ${shorten(files.cert_file)}: ${fsReason(error)}`;
    problems.push({ path: 'metrics.tls.cert_file', reason });
    cert = undefined;
  }
  try {
    key = readRegularFile(files.key_file, MAX_PEM_FILE_BYTES);
    createPrivateKey(key);
  } catch (error) {
    const reason = key
      ? 'not a PEM private key (an encrypted key is not supported)'
      : `cannot read ${shorten(files.key_file)}: ${fsReason(error)}`;
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

export function checkConfig(config: CoreConfig): Problem[] {
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
    } else if (typeof auth.token === 'string' && !BEARER_TOKEN.test(auth.token)) {
      problems.push({
        path: 'metrics.auth.token',
        reason: `must be visible ASCII characters only, without spaces or line breaks (as an Authorization header carries it); ${MAKE_TOKEN}`,
      });
    } else if (typeof auth.token_file === 'string') {
      try {
        const token = readSecretFile(auth.token_file);
        if (!BEARER_TOKEN.test(token)) {
          problems.push({
            path: 'metrics.auth.token_file',
            reason: `must hold visible ASCII characters only, without spaces or line breaks (one final newline is allowed); ${MAKE_TOKEN}`,
          });
        } else if (token.length < 16) {
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
          reason: `cannot read ${shorten(auth.token_file)}: ${fsReason(error)}`,
        });
      }
    }
  } else if (auth.type === 'basic') {
    stray(['token', 'token_file']);
    const users = (auth.users ?? {}) as Record<string, string>;
    if (Object.keys(users).length === 0) {
      problems.push({ path: 'metrics.auth.users', reason: 'basic auth needs at least one user: name: bcrypt-hash' });
    }
    for (const [name, hash] of Object.entries(users)) {
      const user = shorten(name, QUOTE_MAX);
      const form = BCRYPT_HASH.exec(hash);
      if (!form) {
        problems.push({
          path: `metrics.auth.users.${user}`,
          reason: `is not a bcrypt hash; make one with: ${MAKE_HASH}`,
        });
      } else if (Number(form[1]) > MAX_BCRYPT_COST) {
        problems.push({
          path: `metrics.auth.users.${user}`,
          reason:
            `has bcrypt cost ${Number(form[1])}; use at most ${MAX_BCRYPT_COST} ` +
            `(each check of a new password costs 2^cost): ${MAKE_HASH}`,
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
  problems.push(...outputProblems(config));
  return problems;
}

/** Files the agent appends to: each must be a regular file or not exist yet (containers/config.ts checks the containers'). */
function outputProblems(config: CoreConfig): Problem[] {
  const problems: Problem[] = [];
  const check = (path: string, value: string) => {
    const why = outputFileProblem(value);
    if (why) {
      problems.push({ path, reason: `${shorten(value)} ${why}` });
    }
  };
  const output = config.logging.output;
  if (output !== 'stderr' && output !== 'stdout') {
    if (!isAbsolute(output)) {
      problems.push({
        path: 'logging.output',
        reason: `${quote(output)} is neither stderr, stdout nor an absolute file path`,
      });
    } else {
      const why = outputFileProblem(output);
      if (why) {
        const hint = /^\/dev\/(stderr|stdout)$/.test(output) ? ` (write ${output.slice(5)} for the agent's own)` : '';
        problems.push({ path: 'logging.output', reason: `${shorten(output)} ${why}${hint}` });
      }
    }
  }
  if (config.logging.audit.enabled) {
    check('logging.audit.path', config.logging.audit.path);
  }
  return problems;
}
