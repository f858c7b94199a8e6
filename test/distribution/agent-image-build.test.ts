// Without a Docker engine, the next best proof that agent/Dockerfile builds:
// replay its build stage on this host (Debian 12, as the image), from a
// scratch directory holding only what its COPY instructions bring in (minus
// .dockerignore), running its RUN commands in order; then install the
// package it packs the way the runtime stage does. A source file the build
// needs but the Dockerfile forgets to copy fails here.
//
// What differs from a real build: the toolchain is this host's (already
// installed, so apt-get lines are skipped); the npm dependencies are this
// checkout's, linked in instead of installed again (a minute of npm's own
// work that proves nothing about the Dockerfile); everything runs as root;
// and Node's headers are where this host's node has them.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { beforeAll, expect, it } from 'vitest';

import { binary, btf, describeWhere } from '@zviz/test-support/requirements';
import { projectVersion } from '../../scripts/version.mjs';
import { dockerignore } from './dockerignore';
import { ok, okAsync, repo, scratch } from './support';

const version = projectVersion(repo);
const dockerfile = DockerfileParser.parse(readFileSync(join(repo, 'agent', 'Dockerfile'), 'utf8'));

describeWhere([binary('clang'), binary('bpftool'), btf], 'agent image build stage, replayed without Docker', () => {
  const root = scratch('image-build');
  const context = join(root, 'src');
  const pack = join(root, 'pack');
  const prefix = join(root, 'prefix');
  const ignored = dockerignore(repo);
  const nodeDir = dirname(dirname(process.execPath));
  const skipped: string[] = [];

  /** COPY src... dest, relative to the build stage's WORKDIR, honouring .dockerignore. */
  function copy(sources: string[], dest: string): void {
    for (const source of sources) {
      const target =
        dest.endsWith('/') || sources.length > 1 ? join(context, dest, source.split('/').pop()!) : join(context, dest);
      cpSync(join(repo, source), target, {
        recursive: true,
        filter: (path) => !ignored(relative(repo, path)),
      });
    }
  }

  beforeAll(async () => {
    mkdirSync(context, { recursive: true });
    mkdirSync(pack);
    const froms = dockerfile.getFROMs();
    const end = froms[1].getRange().start.line;
    const env: Record<string, string> = { ...(process.env as Record<string, string>) };
    for (const instruction of dockerfile.getInstructions()) {
      const line = instruction.getRange().start.line;
      if (line <= froms[0].getRange().start.line || line >= end) {
        continue;
      }
      const keyword = instruction.getKeyword();
      const args = instruction.getArguments().map((a) => a.getValue());
      if (keyword === 'COPY') {
        copy(args.filter((a) => !a.startsWith('--')).slice(0, -1), args[args.length - 1]);
      } else if (keyword === 'ARG' || keyword === 'ENV') {
        const [name, value = ''] = (instruction.getArgumentsContent() ?? '').split('=');
        env[name] ??= value.replace(/^\$\{?\w+\}?$/, (ref) => env[ref.replace(/[${}]/g, '')] ?? '');
      } else if (keyword === 'RUN') {
        const command = instruction.getArgumentsContent() ?? '';
        if (/^apt-get |^chown /.test(command)) {
          skipped.push(command.split('\n')[0]);
          continue;
        }
        if (/^npm install --workspace agent /.test(command)) {
          skipped.push(command);
          for (const dir of ['node_modules', 'agent/node_modules']) {
            if (existsSync(join(repo, dir))) {
              symlinkSync(join(repo, dir), join(context, dir));
            }
          }
          continue;
        }
        const local = command.replaceAll('--nodedir=/usr/local', `--nodedir=${nodeDir}`).replaceAll('/tmp/pack', pack);
        const started = Date.now();
        await okAsync('sh', ['-ec', local], { cwd: context, env });
        console.log(
          `[image build] ${((Date.now() - started) / 1000).toFixed(1)}s: ${command.split('\n')[0].slice(0, 80)}`
        );
      }
    }
    // A full native and BPF build: about 100 s on an idle 2-core machine, 293 s
    // for its one RUN step at load 11. The bound catches a hung build, not a slow one.
  }, 900_000);

  it('skips only the package installations this host has done already', () => {
    expect(skipped.every((c) => /^apt-get update|^chown node:node|^npm install --workspace agent /.test(c))).toBe(true);
  });

  it('packs the agent from the copied sources alone', () => {
    expect(readdirSync(pack)).toEqual([`zviz-agent-${version}.tgz`]);
    const entries = ok('tar', ['-tzf', join(pack, `zviz-agent-${version}.tgz`)]);
    expect(entries).toContain(`package/prebuilds/linux-${process.arch}/zviz_broker.node`);
    expect(entries).toContain(`package/prebuilds/linux-${process.arch}/zviz_tracer.node`);
    expect(entries).not.toMatch(/prebuilds\/linux-(?!x64|arm64)/);
  });

  it("builds only for the image's own architecture", () => {
    const other = process.arch === 'x64' ? 'arm64' : 'x64';
    expect(ok('tar', ['-tzf', join(pack, `zviz-agent-${version}.tgz`)])).not.toContain(`prebuilds/linux-${other}/`);
  });

  it('installs offline as the runtime stage does, and the installed zviz runs', async () => {
    await okAsync(
      'npm',
      [
        'install',
        '--global',
        '--offline',
        '--prefix',
        prefix,
        '--no-audit',
        '--no-fund',
        join(pack, `zviz-agent-${version}.tgz`),
      ],
      {
        cwd: root,
      }
    );
    expect(existsSync(join(prefix, 'bin', 'zviz'))).toBe(true);
    expect(statSync(join(prefix, 'bin', 'zviz')).isFile()).toBe(true);
    expect(ok(join(prefix, 'bin', 'zviz'), ['--version']).trim()).toBe(version);
  });
});
