// The Kubernetes manifests as kustomize renders them (kustomize build, no
// cluster and no schema download): the objects a user gets, and the
// references between them that a typo would break silently at apply time.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

import { binary, describeWhere } from '@zviz/test-support/requirements';

import { OUTPUT_PATHS, readDashboards, REPO } from '../../scripts/rules/outputs';

type Labels = Record<string, string>;
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Labels };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  data?: Record<string, string>;
  roleRef?: { kind: string; name: string };
  subjects?: Array<{ kind: string; name: string; namespace?: string }>;
  automountServiceAccountToken?: boolean;
}

const AGENT_VERSION = (JSON.parse(readFileSync(join(REPO, 'agent/package.json'), 'utf8')) as { version: string })
  .version;
const IMAGE = 'ghcr.io/zviz/zviz-agent';
const REQUIRED_CAPABILITIES = ['SYS_ADMIN', 'BPF', 'PERFMON', 'SYS_PTRACE', 'SYS_RESOURCE'];
const HOST_MOUNTS = ['/sys/fs/bpf', '/sys/fs/cgroup', '/sys/kernel/tracing', '/sys/kernel/debug'];

function render(dir: string): K8sObject[] {
  const out = execFileSync('kustomize', ['build', join(REPO, dir)], { encoding: 'utf8' });
  return parseAllDocuments(out).map((d) => d.toJS() as K8sObject);
}

function one(objects: K8sObject[], kind: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind);
  expect(found, `exactly one ${kind}`).toHaveLength(1);
  return found[0];
}

function selects(selector: Labels, labels: Labels | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** Checks that hold for the agent of every variant. */
function checkAgent(objects: K8sObject[], variant: string, suffix: string): void {
  const ds = one(objects, 'DaemonSet');
  const service = one(objects, 'Service');
  const monitor = one(objects, 'ServiceMonitor');
  const account = one(objects, 'ServiceAccount');
  const pod = ds.spec.template;
  const container = pod.spec.containers[0];

  it('names every object with the variant suffix in namespace zviz', () => {
    for (const o of [ds, service, monitor, account]) {
      expect(o.metadata.name).toBe(`zviz-agent${suffix}`);
      expect(o.metadata.namespace).toBe('zviz');
    }
  });

  it('DaemonSet selects its own pods, which carry the variant label', () => {
    expect(selects(ds.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
    expect(pod.metadata.labels['zviz.dev/variant']).toBe(variant);
  });

  it('runs privileged with host PID and the capabilities of the broker and the tracer', () => {
    expect(pod.spec.hostPID).toBe(true);
    expect(container.securityContext.privileged).toBe(true);
    expect(container.securityContext.capabilities.add).toEqual(expect.arrayContaining(REQUIRED_CAPABILITIES));
  });

  it('mounts bpffs, cgroups, tracefs and debugfs from the host', () => {
    const volumes = new Map<string, { hostPath?: { path: string } }>(
      pod.spec.volumes.map((v: { name: string }) => [v.name, v])
    );
    for (const mount of container.volumeMounts as Array<{ name: string; mountPath: string }>) {
      expect(volumes.has(mount.name), `volume ${mount.name}`).toBe(true);
    }
    for (const path of HOST_MOUNTS) {
      const mount = (container.volumeMounts as Array<{ name: string; mountPath: string }>).find(
        (m) => m.mountPath === path
      );
      expect(mount, `mount at ${path}`).toBeDefined();
      expect(volumes.get(mount!.name)?.hostPath?.path).toBe(path);
    }
  });

  it('probes /health for liveness and /ready for readiness on a port the container listens on', () => {
    const ports = new Map<string, number>(
      container.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort])
    );
    expect(container.livenessProbe.httpGet.path).toBe('/health');
    expect(container.readinessProbe.httpGet.path).toBe('/ready');
    for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
      expect(ports.has(probe.httpGet.port), `probe port ${probe.httpGet.port}`).toBe(true);
    }
    const addr = container.args[container.args.indexOf('--addr') + 1];
    expect(addr).toBe(`0.0.0.0:${ports.get('http-metrics')}`);
  });

  it('tells the agent its variant, which it exports in zviz_build_info', () => {
    expect(container.env).toContainEqual({ name: 'ZVIZ_VARIANT', value: variant });
  });

  it('uses the agent image', () => {
    expect(container.image.startsWith(`${IMAGE}:`)).toBe(true);
    if (variant === 'production') {
      expect(container.image).toBe(`${IMAGE}:${AGENT_VERSION}`);
    }
  });

  it('runs under its own ServiceAccount, without an API token', () => {
    expect(pod.spec.serviceAccountName).toBe(account.metadata.name);
    expect(pod.spec.automountServiceAccountToken).toBe(false);
    expect(account.automountServiceAccountToken).toBe(false);
  });

  it('Service selects the pods and targets the metrics port by name', () => {
    expect(selects(service.spec.selector, pod.metadata.labels)).toBe(true);
    const names = container.ports.map((p: { name: string }) => p.name);
    for (const port of service.spec.ports) {
      expect(names).toContain(port.targetPort);
    }
  });

  it('ServiceMonitor selects the Service, scrapes its port and names the job zviz', () => {
    expect(selects(monitor.spec.selector.matchLabels, service.metadata.labels)).toBe(true);
    const portNames = service.spec.ports.map((p: { name: string }) => p.name);
    for (const endpoint of monitor.spec.endpoints) {
      expect(portNames).toContain(endpoint.port);
      expect(endpoint.path).toBe('/metrics');
      // A target label `variant` would rename the agent's own zviz_build_info{variant}.
      const targets = (endpoint.relabelings ?? []).map((r: { targetLabel: string }) => r.targetLabel);
      expect(targets).not.toContain('variant');
    }
    // The rules select job="zviz" (zvizSelector); the job comes from this Service label.
    expect(service.metadata.labels?.[monitor.spec.jobLabel]).toBe('zviz');
  });
}

describeWhere([binary('kustomize', 'scripts/setup.sh installs it with go install')], 'Kubernetes manifests', () => {
  const base = render('deploy/kubernetes/base');
  const canary = render('deploy/kubernetes/overlays/canary');

  describe('base (production)', () => {
    it('has the namespace, RBAC, agent, monitoring and dashboards', () => {
      expect(base.map((o) => o.kind).sort()).toEqual(
        [
          'ConfigMap',
          'DaemonSet',
          'Namespace',
          'PrometheusRule',
          'Role',
          'RoleBinding',
          'Service',
          'ServiceAccount',
          'ServiceMonitor',
        ].sort()
      );
      expect(one(base, 'Namespace').metadata.name).toBe('zviz');
    });

    checkAgent(base, 'production', '');

    it('keeps production agents off canary nodes', () => {
      const terms = one(base, 'DaemonSet').spec.template.spec.affinity.nodeAffinity
        .requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
      expect(terms[0].matchExpressions).toContainEqual({
        key: 'zviz.dev/variant',
        operator: 'NotIn',
        values: ['canary'],
      });
    });

    it('binds the discovery Role to Prometheus', () => {
      const role = one(base, 'Role');
      const binding = one(base, 'RoleBinding');
      expect(binding.roleRef).toMatchObject({ kind: 'Role', name: role.metadata.name });
      expect(binding.subjects?.[0]).toMatchObject({ kind: 'ServiceAccount' });
    });

    it('ships the PrometheusRule with exactly the generated rule groups', () => {
      const file = parse(readFileSync(join(REPO, OUTPUT_PATHS.prometheus), 'utf8')) as { groups: unknown };
      expect(one(base, 'PrometheusRule').spec.groups).toEqual(file.groups);
    });

    it('ships every dashboard of src/dashboards as the Grafana sidecar imports it', () => {
      const map = one(base, 'ConfigMap');
      expect(map.metadata.labels?.grafana_dashboard).toBe('1');
      const dashboards = readDashboards();
      expect(Object.keys(map.data ?? {}).sort()).toEqual(dashboards.map((d) => d.name).sort());
      for (const d of dashboards) {
        expect(map.data?.[d.name]).toBe(d.text);
      }
    });
  });

  describe('overlays/canary', () => {
    it('adds only a second agent, no second namespace, rules or dashboards', () => {
      expect(canary.map((o) => o.kind).sort()).toEqual(['DaemonSet', 'Service', 'ServiceAccount', 'ServiceMonitor']);
    });

    checkAgent(canary, 'canary', '-canary');

    it('runs only on canary nodes, with another build of the same image', () => {
      const pod = one(canary, 'DaemonSet').spec.template;
      const terms = pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
      expect(terms[0].matchExpressions).toContainEqual({ key: 'zviz.dev/variant', operator: 'In', values: ['canary'] });
      const image = pod.spec.containers[0].image as string;
      expect(image).not.toBe(one(base, 'DaemonSet').spec.template.spec.containers[0].image);
    });

    it('never selects the other variant: Services and ServiceMonitors are disjoint', () => {
      const pods = {
        production: one(base, 'DaemonSet').spec.template.metadata.labels,
        canary: one(canary, 'DaemonSet').spec.template.metadata.labels,
      };
      expect(selects(one(base, 'Service').spec.selector, pods.canary)).toBe(false);
      expect(selects(one(canary, 'Service').spec.selector, pods.production)).toBe(false);
      expect(
        selects(one(base, 'ServiceMonitor').spec.selector.matchLabels, one(canary, 'Service').metadata.labels)
      ).toBe(false);
      expect(
        selects(one(canary, 'ServiceMonitor').spec.selector.matchLabels, one(base, 'Service').metadata.labels)
      ).toBe(false);
    });
  });
});

describe('Kubernetes manifests as written', () => {
  it('pin the image tag of the base to the agent version in both places', () => {
    const kustomization = parse(
      readFileSync(join(REPO, 'deploy/kubernetes/base/agent/kustomization.yaml'), 'utf8')
    ) as {
      images: Array<{ name: string; newTag: string }>;
    };
    expect(kustomization.images).toEqual([{ name: IMAGE, newTag: AGENT_VERSION }]);
    const ds = parse(readFileSync(join(REPO, 'deploy/kubernetes/base/agent/daemonset.yaml'), 'utf8')) as K8sObject;
    expect(ds.spec.template.spec.containers[0].image).toBe(`${IMAGE}:${AGENT_VERSION}`);
  });
});
