// The process tests run the agent as users do, through bin/zviz.js and the
// esbuild bundle; build the bundle from the current sources first (about a
// second), so they never test a stale one.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export default function setup(): void {
  execFileSync(process.execPath, [join(__dirname, '..', 'scripts', 'bundle.mjs')], { stdio: 'inherit' });
}
