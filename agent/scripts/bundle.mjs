// Bundles the agent's TypeScript into one CommonJS file, so the installed
// package needs no compiler and starts fast. Native addons stay separate
// files, found at run time by src/native/load.ts.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function commit() {
  if (process.env.ZVIZ_COMMIT) {
    return process.env.ZVIZ_COMMIT;
  }
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}

/** RFC 3339 UTC to the second; SOURCE_DATE_EPOCH (reproducible builds) wins over the clock. */
function buildTime() {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  const ms = epoch && /^\d+$/.test(epoch) ? Number(epoch) * 1000 : Date.now();
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

await build({
  entryPoints: [join(root, 'src/cli/main.ts')],
  outfile: join(root, 'dist/zviz.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  tsconfig: join(root, 'tsconfig.json'),
  define: {
    __ZVIZ_VERSION__: JSON.stringify(version),
    __ZVIZ_COMMIT__: JSON.stringify(commit()),
    __ZVIZ_BUILD_TIME__: JSON.stringify(buildTime()),
  },
  logLevel: 'warning',
});
