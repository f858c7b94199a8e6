// Finds and loads the agent's native addons: a local build first (developers),
// then the prebuilt binaries shipped in the package. A missing or unloadable
// addon is reported with the reason, never thrown at import time, so the
// agent can run degraded and say why.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type AddonName = 'zviz_broker' | 'zviz_tracer';

export type Loaded<T> = { ok: true; addon: T; path: string } | { ok: false; reason: string };

/** The agent package's root, wherever this code was bundled or copied to. */
export function packageRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if (JSON.parse(readFileSync(manifest, 'utf8')).name === '@zviz/agent') {
          return dir;
        }
      } catch {
        // An unreadable package.json is not ours; keep climbing.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`cannot find the @zviz/agent package above ${from}`);
    }
    dir = parent;
  }
}

export function candidatePaths(name: AddonName, root: string = packageRoot()): string[] {
  return [
    join(root, 'build', 'Release', `${name}.node`),
    join(root, 'prebuilds', `${process.platform}-${process.arch}`, `${name}.node`),
  ];
}

export function loadAddon<T>(name: AddonName, root?: string): Loaded<T> {
  const paths = candidatePaths(name, root);
  const found = paths.find((p) => existsSync(p));
  if (!found) {
    return { ok: false, reason: `native addon ${name} not found (looked in ${paths.join(', ')}); run npm run build` };
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return { ok: true, addon: require(found) as T, path: found };
  } catch (error) {
    const message = (error as Error).message;
    const missing = missingPackage(message);
    const hint = missing ? ` (install ${missing})` : '';
    return { ok: false, reason: `native addon ${name} failed to load${hint}: ${message}` };
  }
}

/**
 * The shared libraries the addons link that a host may lack, and the Debian
 * package of each. Both addons link libseccomp; the tracer also libbpf, which
 * brings libelf and zlib.
 */
const LIBRARY_PACKAGES: ReadonlyArray<[RegExp, string]> = [
  [/\blibbpf\.so/, 'libbpf1'],
  [/\blibseccomp\.so/, 'libseccomp2'],
  [/\blibelf\.so/, 'libelf1'],
  [/\blibz\.so/, 'zlib1g'],
];

/** The package to install when a loader error names one of those libraries. */
export function missingPackage(loaderError: string): string | undefined {
  return LIBRARY_PACKAGES.find(([library]) => library.test(loaderError))?.[1];
}
