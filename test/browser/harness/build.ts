// Bundles the harness (with the real Grafana packages) into a directory, for
// the browser tests' global setup.
import { build } from 'esbuild';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';

export async function buildHarness(outdir: string): Promise<void> {
  await build({
    entryPoints: [join(__dirname, 'main.tsx')],
    bundle: true,
    outfile: join(outdir, 'harness.js'),
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"', global: 'window' },
    loader: { '.svg': 'text', '.woff': 'empty', '.woff2': 'empty', '.ttf': 'empty', '.png': 'empty' },
    logLevel: 'warning',
    tsconfig: join(__dirname, '..', '..', '..', 'tsconfig.json'),
  });
  copyFileSync(join(__dirname, 'index.html'), join(outdir, 'index.html'));
}
