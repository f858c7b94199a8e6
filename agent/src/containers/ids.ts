import { randomBytes } from 'node:crypto';

/** 12 hex digits, like a short Docker id: unique enough per node, short enough for labels. */
export function newContainerId(): string {
  return randomBytes(6).toString('hex');
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export function checkContainerName(name: string): string | undefined {
  return NAME.test(name)
    ? undefined
    : `invalid container name "${name}": letters, digits, "_", "." and "-", at most 63`;
}
