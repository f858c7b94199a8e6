// Backend resource answers shaped like packages/shared/src/resources.ts, for the
// editor tests and the browser harness.
import type {
  AgentsResource,
  ContainersResource,
  LabelValuesResource,
  ProfilesResource,
  SyscallsResource,
} from '@zviz/shared/resources';

export const resources: {
  agents: AgentsResource;
  containers: ContainersResource;
  syscalls: SyscallsResource;
  profiles: ProfilesResource;
  'label-values': LabelValuesResource;
} = {
  agents: {
    agents: [
      { url: 'http://node-1:9090', instance: 'node-1:9090', up: true, version: '0.1.0', variant: 'production' },
      { url: 'http://node-2:9090', instance: 'node-2:9090', up: false, error: 'connection refused' },
    ],
  },
  containers: {
    containers: [
      { id: 'ci-42', name: 'build-42', profile: 'ci-runner', state: 'running', agent: 'node-1:9090' },
      { id: 'ci-43', name: 'ci-43', profile: 'strict', state: 'exited', agent: 'node-1:9090' },
    ],
  },
  syscalls: { syscalls: ['openat', 'mount', 'ptrace', 'read'] },
  profiles: { profiles: ['ci-runner', 'default', 'strict'] },
  'label-values': { values: ['node-1:9090', 'node-2:9090'] },
};
