// The demo's workloads, each handed to the agent with `zviz run` as an
// operator would, under a built-in profile:
//
// - ci-build (ci-runner): a CI job doing normal work in its workspace (compile
//   a small C program, run its tests, pack an artifact) and a few things a CI
//   job must not do (write outside the workspace, ptrace, a connection the
//   profile logs). Runs again every few seconds, as pipelines do.
// - untrusted-tool (strict): reads its input and writes its output in the
//   workspace, then tries to read /etc/shadow and to connect out.
// - noisy (default): a long-running service that keeps calling ptrace, about
//   40 times a second (enough refusals to trip ZVizSecurityViolation), and
//   once a second writes, syncs and reads back a file in its workspace and
//   asks the agent for /health over TCP: steady work for the tracer's file
//   system, block I/O, TCP and network families (the other workloads end in
//   seconds, and their series with them).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Workload {
  name: string;
  profile: string;
  /** The workspace (working directory, `${workspace}` of the profile). */
  workdir: string;
  command: string[];
  /** Seconds to wait before running it again after it ends; undefined: it runs until stopped. */
  againAfterSeconds?: number;
  limits?: { memory?: string; cpus?: string; pids?: string };
}

const CI_JOB = `#!/bin/sh
# A CI job: build, test, pack; then what a CI job must not do.
set -u
echo "== build"
cat > hello.c <<'C'
#include <stdio.h>
int main(int argc, char **argv) { printf("hello from %s\\n", argc > 1 ? argv[1] : "zviz"); return 0; }
C
cc -O1 -o hello hello.c || exit 1
echo "== test"
for i in 1 2 3 4 5; do
  ./hello "test-$i" > "out-$i.txt" && grep -q "test-$i" "out-$i.txt" || { echo "test $i failed"; exit 1; }
done
tar czf artifact.tgz hello out-*.txt && echo "artifact: $(wc -c < artifact.tgz) bytes"
echo "== not allowed"
echo pwned 2>/dev/null > /etc/zviz-demo-pwned && echo "wrote /etc/zviz-demo-pwned" || echo "write outside the workspace: refused"
perl -e 'syscall(101, 16, 1, 0, 0) == -1 and print "ptrace: refused ($!)\\n"'
perl -MIO::Socket::INET -e 'IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ENV{AGENT_PORT}") ? print "connected to 127.0.0.1:$ENV{AGENT_PORT} (logged)\n" : print "connect: $!\n"'
exit 0
`;

const UNTRUSTED_TOOL = `#!/bin/sh
# A tool from the internet: does its job in the workspace, then reaches further.
set -u
tr a-z A-Z < input.txt > output.txt && echo "converted $(wc -l < output.txt) lines"
cat /etc/shadow > /dev/null 2>&1 && echo "read /etc/shadow" || echo "read /etc/shadow: refused"
cat /root/.bash_history > /dev/null 2>&1 && echo "read /root" || echo "read /root: refused"
perl -MIO::Socket::INET -e 'IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ENV{AGENT_PORT}") ? print "connected out\n" : print "connect: refused ($!)\n"'
echo scratch > /tmp/zviz-demo-scratch && echo "wrote /tmp" || echo "write /tmp: refused"
exit 0
`;

// ptrace(PTRACE_ATTACH, 1): refused by every built-in profile, answered by the
// broker (profiles audit their refusals) and counted under layer seccomp.
const NOISY = [
  'use IO::Handle; use IO::Socket::INET;',
  'while (1) {',
  '  syscall(101, 16, 1, 0, 0) for 1 .. 40;',
  "  if (open(my $f, '>', 'state.bin')) { print $f 'x' x 65536; $f->flush; $f->sync; close $f }",
  "  if (open(my $f, '<', 'state.bin')) { local $/; my $data = <$f>; close $f }",
  '  if (my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ENV{AGENT_PORT}", Timeout => 2)) {',
  '    print $s "GET /health HTTP/1.0\\r\\n\\r\\n"; local $/; my $answer = <$s>; close $s',
  '  }',
  '  select(undef, undef, undef, 1)',
  '}',
].join('\n');

/** Writes the workspaces and scripts under `dir`; the workloads to run. */
export function prepareWorkloads(dir: string): Workload[] {
  const ci = join(dir, 'workspaces', 'ci-build');
  const tool = join(dir, 'workspaces', 'untrusted-tool');
  const noisy = join(dir, 'workspaces', 'noisy');
  for (const d of [ci, tool, noisy]) {
    mkdirSync(d, { recursive: true });
  }
  writeFileSync(join(ci, 'ci.sh'), CI_JOB);
  chmodSync(join(ci, 'ci.sh'), 0o755);
  writeFileSync(join(tool, 'tool.sh'), UNTRUSTED_TOOL);
  chmodSync(join(tool, 'tool.sh'), 0o755);
  writeFileSync(join(tool, 'input.txt'), 'one\ntwo\nthree\n');
  return [
    { name: 'ci-build', profile: 'ci-runner', workdir: ci, command: ['/bin/sh', './ci.sh'], againAfterSeconds: 10 },
    {
      name: 'untrusted-tool',
      profile: 'strict',
      workdir: tool,
      command: ['/bin/sh', './tool.sh'],
      againAfterSeconds: 15,
    },
    {
      name: 'noisy',
      profile: 'default',
      workdir: noisy,
      command: ['/usr/bin/perl', '-e', NOISY],
      limits: { memory: '64M', cpus: '0.5', pids: '16' },
    },
  ];
}

/** `zviz run` arguments that hand `w` to the agent listening on `socket`. */
export function runArgs(w: Workload, socket: string, runName: string, agentPort: number): string[] {
  return [
    'run',
    '--socket',
    socket,
    '--profile',
    w.profile,
    '--name',
    runName,
    '--workdir',
    w.workdir,
    '-e',
    `AGENT_PORT=${agentPort}`,
    ...(w.limits?.memory ? ['--memory', w.limits.memory] : []),
    ...(w.limits?.cpus ? ['--cpus', w.limits.cpus] : []),
    ...(w.limits?.pids ? ['--pids', w.limits.pids] : []),
    '--',
    ...w.command,
  ];
}
