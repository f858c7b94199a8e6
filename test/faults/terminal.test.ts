// Strings a workload chose reach the operator's terminal through `zviz top`,
// `zviz run`, `zviz health` and the agent's text log. A workload runs a
// program whose name would clear the screen, set the window title and forge
// a red log line; everywhere it is shown, it must be escaped text.
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { AgentProcess, zviz } from '../../agent/test/support/agent-process';

const HOSTILE = '\x1b[2J\x1b]0;PWNED\x07\x1b[31mfake\nline\u202e';
/** How it must look: jsesc's escapes, each character a terminal would act on spelled out. */
const SHOWN = '\\x1B[2J\\x1B]0;PWNED\\x07\\x1B[31mfake\\nline\\u202E';
/** Anything a terminal acts on: C0 controls but the line feed, DEL, C1, bidirectional controls. */
const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

describeWhere([root, seccompUserNotif], 'workload-chosen strings on the terminal', () => {
  let agent: AgentProcess;
  let workspace: string;
  let socket: string;

  beforeAll(async () => {
    workspace = mkdtempSync(join(tmpdir(), 'zviz-hostile-'));
    copyFileSync('/bin/true', join(workspace, HOSTILE));
    chmodSync(join(workspace, HOSTILE), 0o755);
    agent = await AgentProcess.start({
      logging: {
        format: 'text',
        // A component reason that quotes a hostile path: the audit log cannot be opened under /proc.
        audit: { path: `/proc/zviz-${HOSTILE}/audit.json` },
      },
    });
    socket = agent.controlSocket;
    // ci-runner logs every execve: the program's name becomes a decision event.
    const result = zviz(['run', '--socket', socket, '--profile', 'ci-runner', '-w', workspace, '--', `./${HOSTILE}`]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(RAW);
  });
  afterAll(async () => {
    await agent?.stop();
    rmSync(workspace, { recursive: true, force: true });
  });

  it('`zviz top` shows the program name and the component reason escaped', async () => {
    const output = await waitFor('the decision to show in zviz top', async () => {
      const result = zviz(['top', '--config', agent.configPath, '--once']);
      return result.stdout.includes(`/${SHOWN}`) ? result : undefined;
    });
    expect(output.stdout).not.toMatch(RAW);
    expect(output.stdout).toContain(`/proc/zviz-${SHOWN}/audit.json`);
  });

  it("`zviz run`'s messages show a command that cannot start escaped", () => {
    const result = zviz(['run', '--socket', socket, '--', `./missing-${HOSTILE}`]);
    expect(result.status).toBe(125);
    expect(result.stderr).not.toMatch(RAW);
    expect(result.stderr).toContain(`./missing-${SHOWN}`);
  });

  it('`zviz health` shows a component reason escaped, in text and in JSON', () => {
    const text = zviz(['health', '--config', agent.configPath]);
    expect(text.stdout).not.toMatch(RAW);
    expect(text.stdout).toContain(`/proc/zviz-${SHOWN}/audit.json`);
    const json = zviz(['health', '--config', agent.configPath, '--json']);
    expect(json.stdout.trimEnd()).not.toMatch(RAW);
    expect(JSON.parse(json.stdout).components.audit.reason).toContain(`/proc/zviz-${HOSTILE}/audit.json`);
  });

  it("the agent's text log shows the command and the path escaped", async () => {
    // The agent's output reaches this process between the (synchronous) commands of the other tests.
    const line = await waitFor('the log line of the run', async () =>
      agent.log.split('\n').find((l) => l.includes('container started for zviz run'))
    );
    // The fields are JSON (\u001b, \u202E); the message is escaped as everywhere else.
    expect(line).toContain('\\u001b[2J\\u001b]0;PWNED\\u0007\\u001b[31mfake\\nline\\u202E');
    const error = agent.log.split('\n').find((l) => l.includes('cannot open /proc/zviz-'));
    expect(error).toContain(`/proc/zviz-${SHOWN}/audit.json`);
    expect(agent.log.replace(/\n/g, '')).not.toMatch(RAW);
  });
});
