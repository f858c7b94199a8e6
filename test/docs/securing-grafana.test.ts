// docs/install.md, "Securing Grafana": the override it prints, laid over
// docker-compose.yml the way Compose merges an override (environment keys
// replaced one by one, lists appended), leaves a Grafana with no anonymous
// Admin, a password of the user's own and HTTPS, with every file it names
// mounted or declared.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const repo = join(__dirname, '..', '..');

type Service = { environment?: Record<string, string>; volumes?: string[]; secrets?: string[] };
type ComposeFile = { services: Record<string, Service>; secrets?: Record<string, { file?: string }> };

/** The first yaml block of a Markdown section. */
function yamlBlockOf(markdown: string, heading: string): string {
  const section = markdown.split(/^## /m).find((part) => part.startsWith(`${heading}\n`));
  expect(section, `section "${heading}"`).toBeDefined();
  const block = /```yaml\n([\s\S]*?)```/.exec(section!);
  expect(block, `a yaml block in "${heading}"`).not.toBeNull();
  return block![1];
}

/** Compose's merge of an override into a service: maps key by key, sequences appended. */
function mergeService(base: Service, override: Service): Service {
  return {
    environment: { ...base.environment, ...override.environment },
    volumes: [...(base.volumes ?? []), ...(override.volumes ?? [])],
    secrets: [...(base.secrets ?? []), ...(override.secrets ?? [])],
  };
}

describe('docs/install.md, Securing Grafana', () => {
  const compose = parse(readFileSync(join(repo, 'docker-compose.yml'), 'utf8')) as ComposeFile;
  const override = parse(
    yamlBlockOf(readFileSync(join(repo, 'docs/install.md'), 'utf8'), 'Securing Grafana')
  ) as ComposeFile;
  const grafana = mergeService(compose.services.grafana, override.services.grafana);
  const env = grafana.environment!;

  it('starts from what it says the demo is: an anonymous Admin', () => {
    expect(compose.services.grafana.environment).toMatchObject({
      GF_AUTH_ANONYMOUS_ENABLED: 'true',
      GF_AUTH_ANONYMOUS_ORG_ROLE: 'Admin',
    });
  });

  it('turns anonymous access off', () => {
    expect(env.GF_AUTH_ANONYMOUS_ENABLED).toBe('false');
  });

  it("sets an admin password of the user's own, from a secret that is declared", () => {
    expect(env.GF_SECURITY_ADMIN_PASSWORD).toBeUndefined(); // not written into the file itself
    const file = env.GF_SECURITY_ADMIN_PASSWORD__FILE;
    const secret = /^\/run\/secrets\/(\S+)$/.exec(file ?? '')?.[1];
    expect(secret, String(file)).toBeDefined();
    expect(grafana.secrets).toContain(secret);
    expect(override.secrets?.[secret!]?.file).toBeTruthy();
  });

  it('serves HTTPS with a certificate and key from a mounted directory, and secure cookies', () => {
    expect(env.GF_SERVER_PROTOCOL).toBe('https');
    expect(env.GF_SECURITY_COOKIE_SECURE).toBe('true');
    const mounts = grafana.volumes!.map((v) => v.split(':')[1]);
    for (const key of ['GF_SERVER_CERT_FILE', 'GF_SERVER_CERT_KEY']) {
      const path = env[key];
      expect(path, key).toBeTruthy();
      expect(
        mounts.some((m) => path.startsWith(`${m}/`)),
        `${key}=${path} under one of ${mounts.join(', ')}`
      ).toBe(true);
    }
  });

  it('keeps what the demo needs: the plugin, provisioning and the data volume', () => {
    expect(env.GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS).toContain('zviz-sandbox-app');
    expect(grafana.volumes).toContain('grafana-data:/var/lib/grafana');
  });
});
