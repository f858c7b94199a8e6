// agent/Dockerfile cannot be built here (no Docker engine), so it is checked
// by structure, with the parser and validator of the VS Code Docker tooling
// (dockerfile-ast, dockerfile-utils): every stage's base image is a pinned
// name, every file it copies exists in the build context or an earlier
// stage, it builds the agent the way the agent's own scripts do, and its
// runtime stage has exactly the shared libraries the built addons link and
// no build tools. The entrypoint is the packaged `zviz`.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser, type Dockerfile, type From, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

import { binary, describeWhere } from '@zviz/test-support/requirements';
import { dockerignore } from './dockerignore';
import { ok, repo, run } from './support';
import { projectVersion } from '../../scripts/version.mjs';

/** The image name docker-compose.yml, the Kubernetes manifests and the docs use. */
const IMAGE = 'ghcr.io/zviz/zviz-agent';

const dockerfilePath = join(repo, 'agent', 'Dockerfile');
const content = readFileSync(dockerfilePath, 'utf8');
const dockerfile: Dockerfile = DockerfileParser.parse(content);
const froms = dockerfile.getFROMs();
const runtime = froms[froms.length - 1];

/** Default values of the ARGs declared before the first FROM. */
const globalArgs = new Map(
  dockerfile
    .getInitialARGs()
    .map((a) => [a.getProperty()?.getName() ?? '', a.getProperty()?.getValue() ?? ''] as [string, string])
);

function expand(text: string): string {
  return text.replace(/\$\{?(\w+)\}?/g, (_m, name: string) => globalArgs.get(name) ?? `<unset ${name}>`);
}

/** The instructions of the stage that starts at `from`. */
function stage(from: From): Instruction[] {
  const start = from.getRange().start.line;
  const next = froms.find((f) => f.getRange().start.line > start)?.getRange().start.line ?? Infinity;
  return dockerfile.getInstructions().filter((i) => i.getRange().start.line >= start && i.getRange().start.line < next);
}

function runs(from: From): string {
  return stage(from)
    .filter((i) => i.getKeyword() === 'RUN')
    .map((i) => i.getArgumentsContent() ?? '')
    .join('\n');
}

/** Packages named by `apt-get install` in a stage's RUN instructions. */
function aptPackages(from: From): string[] {
  const packages: string[] = [];
  for (const match of runs(from).matchAll(/apt-get install((?:\s+(?:-[\w-]+|[a-z0-9][a-z0-9.+-]*))+)/g)) {
    packages.push(...match[1].split(/\s+/).filter((w) => w && !w.startsWith('-')));
  }
  return packages;
}

describe('agent image (agent/Dockerfile, checked by structure)', () => {
  it('has no errors or warnings from the Dockerfile validator', () => {
    const problems = validate(content).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(problems).toEqual([]);
  });

  it('is multi-stage: a build stage and a runtime stage, both Debian 12 like the addons build host', () => {
    expect(froms.map((f) => f.getBuildStage())).toEqual(['build', 'runtime']);
    for (const from of froms) {
      const image = expand(from.getImage() ?? '');
      // A Docker reference: [registry/]name:tag, lower case, pinned to a tag (never latest).
      expect(image).toMatch(/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*:[\w][\w.-]{0,127}$/);
      expect(image.endsWith(':latest')).toBe(false);
      expect(image).toMatch(/bookworm/);
    }
    expect(readFileSync('/etc/os-release', 'utf8')).toMatch(/VERSION_CODENAME=bookworm/);
  });

  it('copies only files that exist in the build context and that .dockerignore keeps', () => {
    const ignored = dockerignore(repo);
    const local = dockerfile.getCOPYs().filter((c) => !c.getFromFlag());
    expect(local.length).toBeGreaterThan(0);
    for (const copy of local) {
      const sources = copy
        .getArguments()
        .map((a) => a.getValue())
        .slice(0, -1);
      for (const source of sources) {
        expect(existsSync(join(repo, source)), `COPY ${source}: not in the repository`).toBe(true);
        expect(ignored(source), `COPY ${source}: excluded by .dockerignore`).toBe(false);
      }
    }
    // And the context keeps what the agent build reads.
    for (const needed of [
      'agent/src',
      'agent/native',
      'agent/bpf',
      'agent/binding.gyp',
      'agent/scripts',
      'packages/shared',
      'packages/agent-client',
      'test/support/package.json',
    ]) {
      expect(ignored(needed), needed).toBe(false);
    }
    for (const dropped of ['node_modules', 'agent/node_modules', 'dist', 'agent/build', 'agent/prebuilds', '.git']) {
      expect(ignored(dropped), dropped).toBe(true);
    }
  });

  it('copies from earlier stages only what those stages write', () => {
    for (const copy of dockerfile.getCOPYs().filter((c) => c.getFromFlag())) {
      const from = froms.find((f) => f.getBuildStage() === copy.getFromFlag()?.getValue());
      expect(from, `COPY --from=${copy.getFromFlag()?.getValue()}: no such earlier stage`).toBeDefined();
      expect(from!.getRange().start.line).toBeLessThan(copy.getRange().start.line);
      for (const source of copy
        .getArguments()
        .map((a) => a.getValue())
        .slice(0, -1)) {
        expect(runs(from!), `stage ${from!.getBuildStage()} never writes ${source}`).toContain(
          source.replace(/\/$/, '')
        );
      }
    }
  });

  it("builds the agent with the agent's own build steps and packs it with npm pack", () => {
    const scripts = JSON.parse(readFileSync(join(repo, 'agent', 'package.json'), 'utf8')).scripts as Record<
      string,
      string
    >;
    const build = runs(froms[0]);
    for (const step of ['build:bpf', 'build:native', 'build:js']) {
      // Same command; only the node headers' directory differs in the node images.
      const command = scripts[step]
        .replace('--nodedir=/usr', '--nodedir=/usr/local')
        .replace(/^make -C bpf/, 'make -C agent/bpf');
      expect(build, `${step}: ${scripts[step]}`).toContain(command.replace(/^node-gyp/, 'npx node-gyp'));
    }
    expect(build).toMatch(/npm pack --workspace agent --pack-destination \/tmp\/pack/);
    // The image packs its own architecture only: the build stage has no cross compiler.
    expect(build).toMatch(/ZVIZ_PREBUILD_ARCHES="\$\(node -p process.arch\)" npm pack/);
  });

  it("copies into the build stage every file outside agent/ that the agent's prepack script reads", () => {
    const prepack = JSON.parse(readFileSync(join(repo, 'agent', 'package.json'), 'utf8')).scripts.prepack as string;
    const outside = [...prepack.matchAll(/\.\.\/([\w./-]+)/g)].map((m) => m[1]);
    expect(outside.length).toBeGreaterThan(0);
    const copied = stage(froms[0])
      .filter((i) => i.getKeyword() === 'COPY')
      .flatMap((i) =>
        i
          .getArguments()
          .map((a) => a.getValue())
          .slice(0, -1)
      );
    for (const path of outside) {
      expect(
        copied.some((c) => path === c || path.startsWith(`${c.replace(/\/$/, '')}/`)),
        `prepack reads ../${path}, which the build stage never copies`
      ).toBe(true);
    }
  });

  it('runs the build as a non-root user and the agent as root', () => {
    const users = (from: From) =>
      stage(from)
        .filter((i) => i.getKeyword() === 'USER')
        .map((i) => i.getArgumentsContent());
    const buildStage = stage(froms[0]);
    const firstUser = buildStage.findIndex((i) => i.getKeyword() === 'USER');
    const firstBuild = buildStage.findIndex(
      (i) => i.getKeyword() === 'RUN' && /npm install|make -C/.test(i.getArgumentsContent() ?? '')
    );
    expect(users(froms[0])).toEqual(['node']);
    expect(firstUser).toBeLessThan(firstBuild);
    expect(users(runtime)).toEqual(['root']);
  });

  it('installs the packed agent with npm in the runtime stage and starts the packaged zviz under tini', () => {
    expect(runs(runtime)).toMatch(/npm install --global --offline [^\n]*\/tmp\/pack\/zviz-agent-\*\.tgz/);
    const entrypoint = dockerfile.getENTRYPOINTs().map((e) => e.getJSONStrings().map((s) => s.getJSONValue()));
    // npm's global bin in the official node images is /usr/local/bin.
    expect(entrypoint).toEqual([['/usr/bin/tini', '--', '/usr/local/bin/zviz']]);
    expect(aptPackages(runtime)).toContain('tini');
    const cmd = dockerfile.getCMDs().map((c) => c.getJSONStrings().map((s) => s.getJSONValue()));
    expect(cmd).toEqual([['agent']]);
  });

  it('keeps build tools out of the runtime stage', () => {
    const tools = /^(clang.*|llvm.*|gcc.*|g\+\+.*|cpp|make|cmake|python3.*|bpftool|build-essential|binutils.*|.*-dev)$/;
    expect(aptPackages(runtime).filter((p) => tools.test(p))).toEqual([]);
    expect(runs(runtime)).not.toMatch(/node-gyp|make -C|clang/);
    // npm itself is removed once the agent is installed.
    expect(runs(runtime)).toMatch(/rm -rf [^\n]*\/usr\/local\/lib\/node_modules\/npm/);
  });

  it('lists the capabilities the agent needs', () => {
    expect(dockerfileCapabilities()).toEqual(expect.arrayContaining(['SYS_ADMIN', 'BPF', 'PERFMON', 'SYS_PTRACE']));
  });
});

/** Capabilities the Dockerfile's closing comment lists, one per line as `#   CAP_NAME  why`. */
function dockerfileCapabilities(): string[] {
  return [...content.matchAll(/^#\s+CAP_([A-Z_]+)\s+\S/gm)].map((m) => m[1]);
}

describe('docker-compose.yml runs the image as the Dockerfile says', () => {
  const compose = parse(readFileSync(join(repo, 'docker-compose.yml'), 'utf8'));
  const agent = compose.services?.agent;
  const version = projectVersion(repo);

  it('builds the agent service from agent/Dockerfile with the repository as context, tagged with the project version', () => {
    expect(agent?.build).toEqual({ context: '.', dockerfile: 'agent/Dockerfile' });
    expect(agent?.image).toBe(`${IMAGE}:${version}`);
  });

  it('lists exactly the capabilities the Dockerfile needs, and runs privileged like the DaemonSet', () => {
    // Privileged mode also unmasks /sys/kernel/tracing and the BPF file
    // system, which capabilities alone do not; the list documents the need.
    expect([...agent.cap_add].sort()).toEqual(dockerfileCapabilities().sort());
    expect(agent.privileged).toBe(true);
  });

  it("gives it the host's cgroup tree, writable, and the host PID namespace, in the default run", () => {
    expect(agent.cgroup).toBe('host');
    expect(agent.pid).toBe('host');
    expect(agent.volumes).toContain('/sys/fs/cgroup:/sys/fs/cgroup:rw');
    expect(agent.profiles).toBeUndefined();
  });
});

describeWhere([binary('readelf', 'binutils'), binary('dpkg')], 'agent image runtime libraries', () => {
  const addons = ['zviz_broker', 'zviz_tracer'].map((a) => join(repo, 'agent', 'build', 'Release', `${a}.node`));

  function needed(file: string): string[] {
    return [...ok('readelf', ['-d', file]).matchAll(/\(NEEDED\)\s+Shared library: \[(.+)\]/g)].map((m) => m[1]);
  }

  /** The Debian package that ships a shared library, found where the loader finds it. */
  function debianPackage(library: string): string {
    const path = /=> (\S+)/.exec(
      ok('sh', ['-c', `ldconfig -p | grep -F '${library} (' | grep -v 'x32\\|i386' | head -1`])
    )?.[1];
    expect(path, `${library} is not installed on this host`).toBeDefined();
    for (const candidate of [path!, path!.replace(/^\/usr\//, '/'), path!.replace(/^\/(lib|lib64)\//, '/usr/$1/')]) {
      const owner = run('dpkg', ['-S', candidate]);
      if (owner.status === 0) {
        return owner.stdout.split(':')[0];
      }
    }
    throw new Error(`no Debian package owns ${path}`);
  }

  it('installs in the runtime stage every library the built addons link, beyond what Node needs itself', () => {
    for (const addon of addons) {
      expect(existsSync(addon), `${addon} is not built (npm run build)`).toBe(true);
    }
    const node = new Set(needed(process.execPath).map(debianPackage));
    const required = new Set(
      addons
        .flatMap(needed)
        .map(debianPackage)
        .filter((p) => !node.has(p))
    );
    expect([...required]).toContain('libbpf1');
    const installed = aptPackages(runtime);
    expect([...required].filter((p) => !installed.includes(p))).toEqual([]);
    // Nothing installed "just in case": each runtime library package is linked by an addon.
    const libraries = installed.filter((p) => /^(lib|zlib)/.test(p));
    expect(libraries.filter((p) => !required.has(p) && !node.has(p))).toEqual([]);
  });
});

describe('the Kubernetes DaemonSet runs the same image', () => {
  const base = join(repo, 'deploy', 'kubernetes', 'base', 'agent');
  const daemonset = parse(readFileSync(join(base, 'daemonset.yaml'), 'utf8'));
  const kustomization = parse(readFileSync(join(base, 'kustomization.yaml'), 'utf8'));
  const container = daemonset.spec.template.spec.containers.find((c: { name: string }) => c.name === 'agent');
  const version = projectVersion(repo);

  it('names the image and the project version, in the manifest and in its kustomization', () => {
    expect(container.image).toBe(`${IMAGE}:${version}`);
    expect(kustomization.images).toEqual([{ name: IMAGE, newTag: version }]);
  });

  it("passes a zviz subcommand as args, since the image's entrypoint is zviz", () => {
    expect(container.command).toBeUndefined();
    expect(container.args[0]).toBe('agent');
  });

  it('grants at least the capabilities the Dockerfile lists', () => {
    expect(container.securityContext.capabilities.add).toEqual(expect.arrayContaining(dockerfileCapabilities()));
  });
});
