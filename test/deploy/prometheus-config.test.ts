// The Prometheus configuration examples of deploy/prometheus, checked by
// promtool, and the docker-compose wiring of the generated rule file.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

import { binary, describeWhere } from '@zviz/test-support/requirements';

import { OUTPUT_PATHS, REPO } from '../../scripts/rules/outputs';
import { TestPrometheus } from '@zviz/test-support/prometheus';
import { waitFor } from '@zviz/test-support/ports';

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
  scrape_configs: Array<{ job_name: string; relabel_configs?: unknown[] }>;
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

/** Pod discovery's meta label for an annotation: non-alphanumerics become underscores. */
function annotationLabel(name: string): string {
  return `__meta_kubernetes_pod_annotation_${name.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

describeWhere([binary('promtool', 'prometheus')], "Kubernetes pod discovery (the monitoring guide's)", () => {
  let prom: TestPrometheus | undefined;
  afterAll(async () => prom?.stop());

  it('prometheus-kubernetes.yml is valid apart from its discovery, which Debian builds Prometheus without', () => {
    // Debian's Prometheus has no kubernetes_sd_configs: check the rest of the
    // file with a static target in its place (the relabelling is exercised below).
    const file = config('prometheus-kubernetes.yml');
    const job = file.scrape_configs.find((c) => c.job_name === 'zviz') as Record<string, unknown>;
    expect(job.kubernetes_sd_configs).toEqual([{ role: 'pod' }]);
    delete job.kubernetes_sd_configs;
    job.static_configs = [{ targets: ['10.0.0.5:9090'] }];
    const dir = mkdtempSync(join(tmpdir(), 'zviz-k8s-config-'));
    try {
      writeFileSync(join(dir, 'prometheus.yml'), stringify(file));
      copyFileSync(join(REPO, OUTPUT_PATHS.prometheus), join(dir, 'zviz-rules.yaml'));
      const result = promtool(['check', 'config', join(dir, 'prometheus.yml')]);
      expect(result.output, result.output).toContain('SUCCESS: 1 rule files found');
      expect(result.ok).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps the agent's pods by their annotations and scrapes the annotated port, in a real Prometheus", async () => {
    const daemonset = parse(readFileSync(join(REPO, 'deploy/kubernetes/base/agent/daemonset.yaml'), 'utf8'));
    const annotations = daemonset.spec.template.metadata.annotations as Record<string, string>;
    expect(annotations['prometheus.io/scrape']).toBe('true');
    const port = daemonset.spec.template.spec.containers[0].ports.find(
      (p: { name: string }) => p.name === 'http-metrics'
    );
    expect(annotations['prometheus.io/port']).toBe(String(port.containerPort));
    // What pod discovery hands the relabelling: the pod address (with a
    // container port, here another one) and its annotations as meta labels.
    const agentPod = {
      targets: ['10.0.0.5:8080'],
      labels: {
        ...Object.fromEntries(Object.entries(annotations).map(([k, v]) => [annotationLabel(k), v])),
        __meta_kubernetes_pod_node_name: 'node-a',
        __meta_kubernetes_pod_label_zviz_dev_variant: 'production',
      },
    };
    const otherPod = { targets: ['10.0.0.6:8080'], labels: { __meta_kubernetes_pod_node_name: 'node-a' } };
    const relabel = config('prometheus-kubernetes.yml').scrape_configs.find(
      (c) => c.job_name === 'zviz'
    )!.relabel_configs;
    prom = await TestPrometheus.start({
      scrape: [{ job: 'zviz', targets: [], extra: { static_configs: [agentPod, otherPod], relabel_configs: relabel } }],
    });
    const targets = await waitFor('the discovered targets', async () => {
      const active = await prom!.targets();
      return active.length > 0 ? active : undefined;
    });
    expect(
      targets.map((t) => ({ url: t.scrapeUrl, node: t.labels.node, variant: t.labels.deployment_variant }))
    ).toEqual([{ url: `http://10.0.0.5:${port.containerPort}/metrics`, node: 'node-a', variant: 'production' }]);
  });
});
