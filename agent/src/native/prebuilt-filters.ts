// The built-in profiles' seccomp programs, compiled by the build
// (scripts/bundle.mjs writes dist/filters.json) and handed to the broker
// addon when it loads. libseccomp takes tens of milliseconds to compile the
// default profile (three ABIs), which was most of what `zviz run` spent
// before the workload started.
//
// The file is trusted as the bundle next to it is, yet used only when it
// surely fits, which the addon checks itself: the programs must have been
// made by this very addon binary (its GNU build ID) with the libseccomp
// loaded now, each is keyed by its whole filter plan as the addon spells it
// (a plan that changed since the build simply misses), and each is checked
// as a program the addon compiled is. Anything else and the programs are
// compiled as before.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const PREBUILT_FILTERS_FORMAT = 2;

/** One filter plan's programs as the addon compiled them (its compiledProgram), and as it takes them back. */
export interface CompiledProgram {
  key: string;
  /** The GNU build ID of the addon that compiled it. */
  build: string;
  libseccomp: string;
  reference: Buffer;
  enforcement: Buffer;
  warnings: string[];
}

/** The one call of the addon's that adopting needs. */
export interface ProgramKeeper {
  /** Keeps what compiledProgram gave, so compiling the same plan costs nothing; null, or why not. */
  adoptCompiledProgram(compiled: CompiledProgram): string | null;
}

export interface PrebuiltFilters {
  format: number;
  /** The GNU build ID of the addon that compiled the programs. */
  build: string;
  libseccomp: string;
  /** compiledProgram's answers, the programs in base64. */
  programs: Array<{ profile: string; key: string; reference: string; enforcement: string; warnings: string[] }>;
}

/** Where the build writes the file: next to the bundle. */
export function prebuiltFiltersPath(dir: string = __dirname): string {
  return join(dir, 'filters.json');
}

/**
 * Hands the prebuilt programs to the addon; returns how many it kept, and
 * why it refused the others. Never throws: without them, zviz compiles.
 */
export function adoptPrebuiltFilters(
  addon: ProgramKeeper,
  file: string = prebuiltFiltersPath()
): { adopted: number; reason?: string } {
  try {
    const prebuilt = JSON.parse(readFileSync(file, 'utf8')) as PrebuiltFilters;
    if (prebuilt.format !== PREBUILT_FILTERS_FORMAT) {
      return { adopted: 0, reason: `${file}: format ${prebuilt.format}, expected ${PREBUILT_FILTERS_FORMAT}` };
    }
    let adopted = 0;
    const refusals: string[] = [];
    for (const entry of prebuilt.programs) {
      const refused = addon.adoptCompiledProgram({
        key: entry.key,
        build: prebuilt.build,
        libseccomp: prebuilt.libseccomp,
        reference: Buffer.from(entry.reference, 'base64'),
        enforcement: Buffer.from(entry.enforcement, 'base64'),
        warnings: entry.warnings,
      });
      if (refused === null) {
        adopted++;
      } else {
        refusals.push(`${entry.profile}: ${refused}`);
      }
    }
    return refusals.length ? { adopted, reason: refusals.join('; ') } : { adopted };
  } catch (error) {
    return { adopted: 0, reason: `${file}: ${(error as Error).message}` };
  }
}
