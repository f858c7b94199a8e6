// Builds the backend as a Node single executable application: esbuild bundles
// the TypeScript and its dependencies into one CommonJS file, Node turns it
// into a SEA blob, and postject injects the blob into a copy of the node
// binary. Everything is offline; the result lands next to the nested
// datasource's plugin.json, where Grafana looks for gpx_zviz_<os>_<arch>.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

// `import text from './x.proto?raw'`, as vitest understands it: the file's
// text, bundled, since the executable has no file system beside it.
const rawText = {
  name: 'raw-text',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (args) => ({
      path: join(args.resolveDir, args.path.slice(0, -'?raw'.length)),
      namespace: 'raw-text',
    }));
    b.onLoad({ filter: /.*/, namespace: 'raw-text' }, (args) => ({
      contents: readFileSync(args.path, 'utf8'),
      loader: 'text',
    }));
  },
};

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const work = join(root, 'build');
const outDir = join(root, '..', 'dist', 'datasource');
const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch];
const executable = join(outDir, `gpx_zviz_linux_${arch}`);
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
mkdirSync(outDir, { recursive: true });

await build({
  entryPoints: [join(root, 'src/main.ts')],
  outfile: join(work, 'main.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  tsconfig: join(root, 'tsconfig.json'),
  define: { __ZVIZ_VERSION__: JSON.stringify(version) },
  plugins: [rawText],
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

const seaConfig = join(work, 'sea-config.json');
writeFileSync(
  seaConfig,
  JSON.stringify({
    main: join(work, 'main.js'),
    output: join(work, 'sea.blob'),
    disableExperimentalSEAWarning: true,
    // V8's code cache in the blob spares compiling the bundle at every start.
    useCodeCache: true,
  })
);
execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], { stdio: ['ignore', 'ignore', 'inherit'] });

rmSync(executable, { force: true });
copyFileSync(process.execPath, executable);
const postject = join(dirname(require.resolve('postject/package.json')), 'dist', 'cli.js');
// postject warns about every ELF note section it cannot name; those warnings
// are noise, so its output is shown only when it fails.
const injected = spawnSync(
  process.execPath,
  [
    postject,
    executable,
    'NODE_SEA_BLOB',
    join(work, 'sea.blob'),
    '--sentinel-fuse',
    'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
  ],
  { encoding: 'utf8' }
);
if (injected.status !== 0) {
  process.stderr.write(injected.stdout + injected.stderr);
  throw new Error(`postject failed with exit code ${injected.status}`);
}
chmodSync(executable, 0o755);
console.log(`built ${executable}`);
