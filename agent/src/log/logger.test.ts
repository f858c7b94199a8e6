import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { AgentLog } from './logger';

const scratch = mkdtempSync(join(tmpdir(), 'zviz-log-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const lines = (path: string) => readFileSync(path, 'utf8').trimEnd().split('\n');

describe('AgentLog', () => {
  it('writes the JSON of docs/agent.md (Logs): timestamp, level, message and the bound context', () => {
    const output = join(scratch, 'json', 'zviz.log');
    const log = AgentLog.create({ level: 'info', format: 'json', output });
    log.logger.child({ container_id: 'abc123', profile: 'ci-runner', pid: 12345 }).info('container created');
    log.logger.debug('not at info');
    log.flush();
    const [line, ...rest] = lines(output);
    expect(rest).toEqual([]);
    expect(JSON.parse(line)).toEqual({
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      level: 'info',
      message: 'container created',
      container_id: 'abc123',
      profile: 'ci-runner',
      pid: 12345,
    });
  });

  it('writes one line of text in text format', () => {
    const output = join(scratch, 'text.log');
    const log = AgentLog.create({ level: 'info', format: 'text', output });
    log.logger.warn({ container_id: 'abc123' }, 'memory at 91 %');
    log.flush();
    expect(lines(output)).toEqual([
      expect.stringMatching(/^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] WARN: memory at 91 % \{"container_id":"abc123"\}$/),
    ]);
  });

  it('applies a reloaded level to loggers created before, and switches format in place', () => {
    const output = join(scratch, 'reload.log');
    const log = AgentLog.create({ level: 'info', format: 'json', output });
    const child = log.logger.child({ component: 'broker' });
    child.debug('hidden');
    log.reconfigure({ level: 'debug', format: 'text', output });
    child.debug('shown');
    log.flush();
    expect(lines(output)).toEqual([expect.stringMatching(/DEBUG: shown \{"component":"broker"\}$/)]);
  });

  it('starts a new file on reopen after logrotate moved the old one', () => {
    const output = join(scratch, 'rotate.log');
    const log = AgentLog.create({ level: 'info', format: 'json', output });
    log.logger.info('before');
    log.flush();
    renameSync(output, `${output}.1`);
    log.reopen();
    log.logger.info('after');
    log.flush();
    expect(lines(`${output}.1`).map((l) => JSON.parse(l).message)).toEqual(['before']);
    expect(lines(output).map((l) => JSON.parse(l).message)).toEqual(['after']);
  });

  it('refuses an output it cannot open, and keeps the old one on a bad reload', () => {
    expect(() => AgentLog.create({ level: 'info', format: 'json', output: '/proc/zviz-no/zviz.log' })).toThrow(
      /ENOENT/
    );
    const output = join(scratch, 'kept.log');
    const log = AgentLog.create({ level: 'info', format: 'json', output });
    expect(() => log.reconfigure({ level: 'info', format: 'json', output: '/proc/zviz-no/zviz.log' })).toThrow();
    log.logger.info('still here');
    log.flush();
    expect(existsSync(output) && lines(output)).toEqual([expect.stringContaining('still here')]);
  });
});
