// The Prometheus configuration examples of deploy/prometheus, checked by
// promtool, and the docker-compose wiring of the generated rule file.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parse } from 'yaml';

import { binary, describeWhere } from '@zviz/test-support/requirements';

import { OUTPUT_PATHS, REPO } from '../../scripts/rules/outputs';

function promtool(args: string[]): { ok: boolean; output: string } {
  try {
    return { ok: true, output: execFileSync('promtool', args, { encoding: 'utf8', stdio: 'pipe' }) };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

interface PromConfig {
  rule_files?: string[];
  scrape_configs: Array<{ job_name: string }>;
  remote_write?: Array<{ url: string; queue_config?: Record<string, unknown> }>;
}

function config(name: string): PromConfig {
  return parse(readFileSync(join(REPO, 'deploy/prometheus', name), 'utf8')) as PromConfig;
}

describeWhere([binary('promtool', 'prometheus')], 'Prometheus configuration examples', () => {
  it('prometheus.yml (docker-compose) is valid and loads the generated rules', () => {
    const result = promtool(['check', 'config', join(REPO, 'deploy/prometheus/prometheus.yml')]);
    expect(result.output, result.output).toContain('SUCCESS: 1 rule files found');
    expect(result.ok).toBe(true);
    expect(config('prometheus.yml').rule_files).toEqual(['zviz-rules.yaml']);
  });

  it('prometheus-remote-write.yml is valid (its secret and target files exist only where it is deployed)', () => {
    const result = promtool([
      'check',
      'config',
      '--syntax-only',
      join(REPO, 'deploy/prometheus/prometheus-remote-write.yml'),
    ]);
    expect(result.output, result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });

  it('prometheus-remote-write.yml writes to a long-term store with a tuned queue and evaluates the rules', () => {
    const c = config('prometheus-remote-write.yml');
    expect(c.rule_files).toEqual(['zviz-rules.yaml']);
    expect(c.scrape_configs.map((s) => s.job_name)).toContain('zviz');
    expect(c.remote_write?.[0].url).toMatch(/\/api\/v1\/push$/);
    expect(Object.keys(c.remote_write?.[0].queue_config ?? {})).toEqual(
      expect.arrayContaining(['capacity', 'max_shards', 'max_samples_per_send', 'batch_send_deadline'])
    );
  });

  it('both scrape the agents as job zviz, the job the rules select', () => {
    const selector = readFileSync(join(REPO, OUTPUT_PATHS.prometheus), 'utf8').match(/up\{([^}]*)\} == 0/)?.[1];
    expect(selector).toBe('job="zviz"');
    for (const name of ['prometheus.yml', 'prometheus-remote-write.yml']) {
      expect(config(name).scrape_configs.map((s) => s.job_name)).toContain('zviz');
    }
  });
});

it('docker-compose mounts the generated rule file where prometheus.yml looks for it', () => {
  const compose = parse(readFileSync(join(REPO, 'docker-compose.yml'), 'utf8')) as {
    services: { prometheus: { volumes: string[] } };
  };
  expect(compose.services.prometheus.volumes).toContain(
    `./${OUTPUT_PATHS.prometheus}:/etc/prometheus/zviz-rules.yaml:ro`
  );
});
