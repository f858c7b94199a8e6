// Bundles the agent's TypeScript into one CommonJS file, so the installed
// package needs no compiler and starts fast. Native addons stay separate
// files, found at run time by src/native/load.ts.
//
// Two bundles: dist/zviz.js (every command) and dist/zviz-run.js (`zviz run`
// only, which bin/zviz.js starts for it). It also writes the V8 code cache
// bin/zviz.js starts each with, into dist/<bundle>.cache/, for this Node
// build only (bin/code-cache.js), from a training run of a command, so the
// cache holds the functions a start compiles, not only the top level.
//
// The JSON Schema validators of profiles and of the configuration are
// compiled here, once, into ajv's standalone code (aheadOfTimeValidators):
// compiling them at run time cost `zviz run` about 150 ms at every start.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
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

const require = createRequire(join(root, 'package.json'));
const Ajv = require('ajv').default;
const standaloneCode = require('ajv/dist/standalone').default;

/**
 * Modules whose one export compiles a schema at run time, and the name of
 * their descriptor ({ schema, options }) and of their function. The bundle
 * gets, in their place, a module whose function returns the validator ajv
 * generated from the same descriptor.
 */
const VALIDATORS = [
  {
    file: join(root, 'src/profiles/schema-validator.ts'),
    descriptor: 'PROFILE_VALIDATION',
    fn: 'profileSchemaValidator',
  },
  {
    file: join(root, 'src/assembly/schema-validator.ts'),
    descriptor: 'CONFIG_VALIDATION',
    fn: 'configSchemaValidator',
  },
];

/**
 * Bundles source of the agent in memory and runs it here, for what the build
 * computes with the agent's own code; returns its module.exports. __dirname is
 * scripts/, never dist/, so the code does not read what this build replaces.
 */
async function runInMemory(source) {
  const result = await build({
    ...source,
    bundle: true,
    write: false,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    tsconfig: join(root, 'tsconfig.json'),
    logLevel: 'warning',
  });
  const module = { exports: {} };
  new Function('module', 'exports', 'require', '__dirname', result.outputFiles[0].text)(
    module,
    module.exports,
    require,
    join(root, 'scripts')
  );
  return module.exports;
}

async function descriptorOf(entry) {
  return (await runInMemory({ entryPoints: [entry.file] }))[entry.descriptor];
}

const aheadOfTimeValidators = {
  name: 'ahead-of-time-validators',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /schema-validator\.ts$/ }, async (args) => {
      const entry = VALIDATORS.find((v) => v.file === args.path);
      if (!entry) {
        return undefined;
      }
      const { schema, options } = await descriptorOf(entry);
      const ajv = new Ajv({ ...options, code: { source: true } });
      const code = standaloneCode(ajv, ajv.compile(schema));
      return {
        contents:
          `const generated = { exports: {} };\n(function (module, exports) {\n${code}\n})(generated, generated.exports);\n` +
          `exports.${entry.fn} = () => generated.exports;\n`,
        loader: 'js',
        resolveDir: root,
      };
    });
  },
};

/**
 * commander requires node:child_process at load, for subcommands that are
 * separate executables, which zviz has none of; loading it (and net, which
 * it loads) cost every `zviz run` a few milliseconds. commander gets it on
 * first use instead.
 */
const lazyChildProcessForCommander = {
  name: 'lazy-child-process-for-commander',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer)
        ? { path: 'lazy-child-process', namespace: 'zviz-lazy' }
        : undefined
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'zviz-lazy' }, () => ({
      contents:
        "let loaded;\nmodule.exports = new Proxy({}, { get: (_, key) => (loaded ??= require('node:child_process'))[key] });\n",
      loader: 'js',
    }));
  },
};

/**
 * Two bundles of the same sources: dist/zviz.js with every command, and
 * dist/zviz-run.js with only `zviz run` (src/cli/run-main.ts), which
 * bin/zviz.js starts for `zviz run`.
 */
await build({
  plugins: [aheadOfTimeValidators, lazyChildProcessForCommander],
  entryPoints: { zviz: join(root, 'src/cli/main.ts'), 'zviz-run': join(root, 'src/cli/run-main.ts') },
  outdir: join(root, 'dist'),
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

/**
 * dist/filters.json: the built-in profiles' seccomp programs, compiled now
 * by the addon just built (src/native/prebuilt-filters.ts says how they are
 * used), or a warning: zviz then compiles them at every start.
 */
async function writePrebuiltFilters() {
  const file = join(root, 'dist/filters.json');
  rmSync(file, { force: true });
  const contents = [
    "import { writeFileSync } from 'node:fs';",
    "import { brokerAddon } from './src/native/broker-addon';",
    "import { PREBUILT_FILTERS_FORMAT } from './src/native/prebuilt-filters';",
    "import { builtinNames } from './src/profiles/load';",
    "import { loadProfile } from './src/profiles/profile';",
    'const loaded = brokerAddon();',
    'if (!loaded.ok) throw new Error(loaded.reason);',
    'const programs = builtinNames().map((profile) => {',
    "  const { build, libseccomp, reference, enforcement, ...rest } = loaded.addon.compiledProgram(loadProfile(profile, loaded.addon).forWorkspace('/workspace').filter);",
    "  return { profile, build, libseccomp, ...rest, reference: reference.toString('base64'), enforcement: enforcement.toString('base64') };",
    '});',
    `writeFileSync(${JSON.stringify(file)}, JSON.stringify({`,
    '  format: PREBUILT_FILTERS_FORMAT,',
    '  build: programs[0]?.build,',
    '  libseccomp: programs[0]?.libseccomp,',
    '  programs: programs.map(({ build: _b, libseccomp: _l, ...entry }) => entry),',
    '}));',
  ].join('\n');
  try {
    await runInMemory({ stdin: { contents, resolveDir: root, sourcefile: 'prebuilt-filters-build.ts', loader: 'ts' } });
  } catch (error) {
    rmSync(file, { force: true });
    console.warn(`bundle: no prebuilt seccomp programs (${error.message}); zviz compiles them at every start`);
  }
}

await writePrebuiltFilters();

/**
 * The V8 code cache of a bundle, or a warning: bin/zviz.js then starts it
 * without one. Made by a training run of `args`, loaded the way bin/zviz.js
 * loads the bundle, so the cache holds the functions that run compiles, not
 * only the top level. The run may fail (`zviz run` as another user than root,
 * or where no sandbox can start): what it compiled until then is cached.
 */
function writeCodeCache(name, args) {
  const bundle = join(root, 'dist', name);
  const script = [
    "const { readFileSync } = require('node:fs');",
    "const Module = require('node:module');",
    "const { dirname } = require('node:path');",
    "const { Script } = require('node:vm');",
    `const { writeCodeCache } = require(${JSON.stringify(join(root, 'bin/code-cache.js'))});`,
    `const bundle = ${JSON.stringify(bundle)};`,
    "const wrapper = new Script(Module.wrap(readFileSync(bundle, 'utf8')), { filename: bundle });",
    "process.on('exit', () => writeCodeCache(bundle, wrapper.createCachedData()));",
    'const module_ = { exports: {}, filename: bundle, id: bundle, loaded: true };',
    'wrapper.runInThisContext().call(module_.exports, module_.exports, Module.createRequire(bundle), module_, bundle, dirname(bundle));',
  ].join('\n');
  rmSync(`${bundle}.cache`, { recursive: true, force: true });
  const run = spawnSync(process.execPath, ['-e', script, 'zviz', ...args], { cwd: root, stdio: 'ignore' });
  if (!existsSync(`${bundle}.cache`)) {
    console.warn(
      `bundle: no code cache for dist/${name} (zviz ${args.join(' ')} ended with ${run.error?.message ?? run.signal ?? run.status}); zviz starts without one`
    );
  }
}

writeCodeCache('zviz.js', ['profile', 'check', 'default']);
// As root, as zviz run runs: the training runs /bin/true in the sandbox, under the default profile.
writeCodeCache('zviz-run.js', ['run', '--standalone', '--', '/bin/true']);
