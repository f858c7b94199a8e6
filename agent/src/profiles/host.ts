// The host a profile is expanded for: the container's capabilities, the
// kernel version and the architecture, in Docker's names (`includes.arches`)
// and libseccomp's (`architectures`, `archMap`).
import { arch as processArch, release } from 'node:os';

import { DEFAULT_CAPABILITIES } from './capabilities';

export interface HostContext {
  /** The container's capabilities (they select `includes.caps` rules). */
  capabilities: ReadonlySet<string>;
  kernel: readonly [number, number];
  /** Go's name for the host architecture, as Docker's `arches` filters use it. */
  goArch: string;
  /** libseccomp's name for it. */
  scmpArch: string;
}

const HOST_ARCHES: Readonly<Record<string, { go: string; scmp: string }>> = {
  x64: { go: 'amd64', scmp: 'SCMP_ARCH_X86_64' },
  arm64: { go: 'arm64', scmp: 'SCMP_ARCH_AARCH64' },
  ia32: { go: '386', scmp: 'SCMP_ARCH_X86' },
  arm: { go: 'arm', scmp: 'SCMP_ARCH_ARM' },
  ppc64: { go: 'ppc64le', scmp: 'SCMP_ARCH_PPC64LE' },
  s390x: { go: 's390x', scmp: 'SCMP_ARCH_S390X' },
  riscv64: { go: 'riscv64', scmp: 'SCMP_ARCH_RISCV64' },
};

/** Architecture names Docker's `includes.arches` may use. */
export const GO_ARCHES = [
  'amd64',
  'x86',
  'x32',
  '386',
  'arm',
  'arm64',
  'mips',
  'mipsle',
  'mips64',
  'mips64le',
  'mips64n32',
  'mipsel64n32',
  'ppc',
  'ppc64',
  'ppc64le',
  's390',
  's390x',
  'riscv64',
  'loong64',
];

export function kernelVersion(text = release()): [number, number] {
  const match = /^(\d+)\.(\d+)/.exec(text);
  return match ? [Number(match[1]), Number(match[2])] : [0, 0];
}

export function hostContext(capabilities: readonly string[] = DEFAULT_CAPABILITIES): HostContext {
  const host = HOST_ARCHES[processArch()] ?? { go: processArch(), scmp: 'SCMP_ARCH_NATIVE' };
  return { capabilities: new Set(capabilities), kernel: kernelVersion(), goArch: host.go, scmpArch: host.scmp };
}
