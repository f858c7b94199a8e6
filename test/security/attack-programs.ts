// The attack programs (test/security/attacks): where they are, and building them.
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

export const ATTACKS = join(__dirname, 'attacks');
export const ATTACK_BIN = join(ATTACKS, 'bin');

/** Builds what is missing or older than its source; quick when nothing is. */
export function buildAttacks(): void {
  execFileSync('make', ['-s', `-j${availableParallelism()}`, '-C', ATTACKS], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
