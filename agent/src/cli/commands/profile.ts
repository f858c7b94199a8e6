// zviz profile check FILE: every problem of a profile, each as
// `<file>: <JSON pointer>: <reason>`; exit status 1 when there is any.
import type { Command } from 'commander';

import { brokerAddon, requireBrokerAddon } from '../../native/broker-addon';
import { builtinNames } from '../../profiles/load';
import { formatProblem, ProfileError } from '../../profiles/problems';
import type { ReadsDecision } from '../../profiles/compile';
import type { Scopes } from '../../profiles/scopes';
import { loadProfile } from '../../profiles/profile';
import { CliExit, EXIT } from '../exit';

export interface CheckOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Who decides a profile's reads, for `zviz profile check` (profiles/compile.ts, viewDecidesReads). */
function readsText(reads: ReadsDecision): string {
  switch (reads.by) {
    case 'flags':
      return `the kernel's (${reads.why})`;
    case 'view':
      return `the kernel's, decided by the view and kept in it by Landlock (${reads.why})`;
    case 'broker':
      return `the broker's (${reads.why})`;
  }
}

/** The scopes the container's Landlock domain gets here (profiles/scopes.ts). */
function scopesText(scopes: Scopes): string {
  const names = [
    ...(scopes.abstractUnixSockets ? ['abstract unix sockets'] : []),
    ...(scopes.signals ? ['signals'] : []),
  ];
  return names.length > 0 ? names.join(', ') : 'none';
}

export function checkProfile(reference: string, io: CheckOutput): number {
  try {
    const profile = loadProfile(reference, requireBrokerAddon());
    for (const warning of profile.warnings) {
      io.err(`warning: ${formatProblem(profile.source, warning)}`);
    }
    const plan = profile.forWorkspace('${workspace}');
    const brokered = plan.brokered.length > 0 ? plan.brokered.join(', ') : 'none';
    io.out(
      `${profile.source}: ok: ${profile.instructions} BPF instructions, ` +
        `${plan.filter.architectures.join('/')}, brokered: ${brokered}, denials ${plan.filter.audit ? 'audited by the broker' : 'left to the kernel (not counted)'}; ` +
        `pid: ${plan.pid}, network: ${plan.network}, file system: ${plan.filesystem.view === 'allow-list' ? 'allow-list view' : 'host view'}; ` +
        `reads by open and openat: ${readsText(plan.reads)}; ` +
        `Landlock scopes on this kernel: ${scopesText(plan.scopes)}`
    );
    return 0;
  } catch (error) {
    if (error instanceof ProfileError) {
      error.lines().forEach((line) => io.err(line));
      io.err(`${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}; the profile cannot be used`);
    } else {
      io.err(`zviz: ${(error as Error).message}`);
    }
    return 1;
  }
}

export function registerProfile(program: Command): void {
  const profile = program.command('profile').description('work with sandbox profiles');
  profile
    .command('check')
    .description('validate a profile (file or built-in name) and explain every problem')
    .argument('<profile>', 'a profile file, or a built-in name')
    .action((reference: string) => {
      process.exitCode = checkProfile(reference, {
        out: (line) => process.stdout.write(`${line}\n`),
        err: (line) => process.stderr.write(`${line}\n`),
      });
    });
  profile
    .command('list')
    .description('list the built-in profiles')
    .action(() => {
      const broker = brokerAddon();
      if (!broker.ok) {
        throw new CliExit(EXIT.failure, broker.reason);
      }
      const addon = broker.addon;
      for (const name of builtinNames()) {
        const loaded = loadProfile(name, addon);
        process.stdout.write(`${name}\t${loaded.validated.profile.zviz?.description ?? ''}\n`);
      }
    });
}
