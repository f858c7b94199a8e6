import { closeSync, openSync, readSync } from 'node:fs';

/**
 * 12 hex digits, like a short Docker id: unique enough per node, short enough
 * for labels. Six bytes of the kernel's random source, read directly:
 * loading node:crypto for them cost every `zviz run` a few milliseconds.
 */
export function newContainerId(): string {
  const bytes = Buffer.alloc(6);
  const fd = openSync('/dev/urandom', 'r');
  try {
    if (readSync(fd, bytes) !== bytes.length) {
      throw new Error('/dev/urandom: short read');
    }
  } finally {
    closeSync(fd);
  }
  return bytes.toString('hex');
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export function checkContainerName(name: string): string | undefined {
  return NAME.test(name)
    ? undefined
    : `invalid container name "${name}": letters, digits, "_", "." and "-", at most 63`;
}
