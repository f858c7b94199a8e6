import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { DEFAULT_BROKER_CONFIG } from '../broker/config';
import { DEFAULT_TRACER_CONFIG } from '../tracer/config';
import { loadConfig } from '../assembly/load-config';
import { endedRetentionSeconds } from './schema';

const fixtures = join(__dirname, '../../test/fixtures/config');
const scratch = mkdtempSync(join(tmpdir(), 'zviz-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function errorsOf(name: string, env: NodeJS.ProcessEnv = {}): string[] {
  const file = join(fixtures, name);
  const result = loadConfig({ path: file, env });
  if (result.ok) {
    throw new Error(`${name} was accepted`);
  }
  return result.errors.map((line) => line.split(file).join('<file>'));
}

function write(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

describe('configuration errors name the file, the key and the reason', () => {
  it.each([
    [
      'unknown-key.yaml',
      ['<file>: logging.levle: unknown key (did you mean "level"? allowed here: level, format, output, audit)'],
    ],
    [
      'unknown-section.yaml',
      [
        '<file>: metircs: unknown key (did you mean "metrics"? allowed here: node_name, variant, logging, metrics, api, broker, containers, tracer)',
      ],
    ],
    [
      'wrong-type.yaml',
      [
        '<file>: logging.audit.compress: must be true or false, not a string',
        '<file>: metrics.rate_limit.rps: must be a number, not a string',
        '<file>: metrics.rate_limit.burst: must be a whole number, not the number 2.5',
      ],
    ],
    [
      'bad-enum.yaml',
      [
        '<file>: logging.level: must be one of debug, info, warn, error (got "verbose")',
        '<file>: logging.format: must be one of text, json (got "yaml")',
      ],
    ],
    [
      'out-of-range.yaml',
      [
        '<file>: logging.audit.retention_days: must be at least 0 (got -1)',
        '<file>: logging.audit.max_size_mb: must be greater than 0 (got 0)',
        '<file>: metrics.rate_limit.burst: must be at least 1 (got 0)',
        '<file>: api.ring_size: must be at least 1 (got 0)',
        '<file>: api.stream.heartbeat_seconds: must be at least 1 (got 0)',
      ],
    ],
    [
      'bad-address.yaml',
      [
        '<file>: metrics.address: "localhost" is not an address: expected HOST:PORT, for example 127.0.0.1:9090, 0.0.0.0:9090 or [::1]:9090',
      ],
    ],
    ['bad-port.yaml', ['<file>: metrics.address: "127.0.0.1:70000": port 70000 is out of range 1-65535']],
    ['bad-ipv6.yaml', ['<file>: metrics.address: "[not-ipv6]:9090": only IPv6 addresses go in brackets']],
    [
      'bad-variant.yaml',
      [
        '<file>: variant: "canary build" is not allowed: letters, digits, "_", "." and "-", starting with a letter or digit (e.g. production, canary)',
      ],
    ],
    ['not-a-mapping.yaml', ['<file>: (root): must be a mapping of sections (logging:, metrics:, ...)']],
    ['section-not-mapping.yaml', ['<file>: logging: must be a mapping, not a string']],
    [
      'invalid-yaml.yaml',
      [
        '<file>:2:10: invalid YAML: Nested mappings are not allowed in compact mappings',
        '<file>:2:10: invalid YAML: Implicit keys need to be on a single line',
      ],
    ],
    ['duplicate-key.yaml', ['<file>:3:3: invalid YAML: Map keys must be unique']],
    ['bearer-without-token.yaml', ['<file>: metrics.auth: bearer auth needs exactly one of token or token_file']],
    [
      'bearer-short-token.yaml',
      ['<file>: metrics.auth.token: must be at least 16 characters (got 6); generate one with: openssl rand -hex 32'],
    ],
    [
      'bearer-missing-token-file.yaml',
      ['<file>: metrics.auth.token_file: cannot read /nonexistent/zviz/token: no such file'],
    ],
    [
      'basic-bad-hash.yaml',
      [
        "<file>: metrics.auth.users.alice: is not a bcrypt hash; make one with: htpasswd -nbBC 10 '' 'PASSWORD' | tr -d ':\\n'",
      ],
    ],
    ['basic-no-users.yaml', ['<file>: metrics.auth.users: basic auth needs at least one user: name: bcrypt-hash']],
    ['auth-stray-token.yaml', ['<file>: metrics.auth.token: does not apply to auth type "none"']],
    ['tls-incomplete.yaml', ['<file>: metrics.tls.key_file: is required']],
    [
      'tls-missing-files.yaml',
      [
        '<file>: metrics.tls.cert_file: cannot read /nonexistent/zviz/cert.pem: no such file',
        '<file>: metrics.tls.key_file: cannot read /nonexistent/zviz/key.pem: no such file',
      ],
    ],
    [
      'tls-not-pem.yaml',
      [
        '<file>: metrics.tls.cert_file: not a PEM certificate',
        '<file>: metrics.tls.key_file: not a PEM private key (an encrypted key is not supported)',
      ],
    ],
  ])('%s', (name, expected) => {
    expect(errorsOf(name)).toEqual(expected);
  });

  it('refuses a file that expands more than 100 aliases, and takes one that stays under', () => {
    const file = (count: number) =>
      `variant: &v canary\ncontainers:\n  - name: c\n    command: ["true"]\n    env:\n${Array.from(
        { length: count },
        (_, i) => `      N${i}: *v\n`
      ).join('')}`;
    const bomb = write('aliases.yaml', file(101));
    expect(loadConfig({ path: bomb, env: {} })).toEqual({
      ok: false,
      source: bomb,
      errors: [`${bomb}: invalid YAML: more than 100 aliases (*name); write the values out`],
    });
    const fine = loadConfig({ path: write('few-aliases.yaml', file(50)), env: {} });
    expect(fine.ok && fine.config.containers[0].env.N49).toBe('canary');
  });

  it('refuses a container start limit it cannot keep, naming the key', () => {
    for (const [value, problem] of [
      ['0', 'must be at least 1 (got 0)'],
      ['0.5', 'must be at least 1 (got 0.5)'],
      ['7200', 'must be at most 3600 (got 7200)'],
      ['ten', 'must be a number'],
    ]) {
      const result = loadConfig({ path: write('limit.yaml', `broker:\n  start_timeout_seconds: ${value}\n`), env: {} });
      expect(result.ok).toBe(false);
      expect(!result.ok && result.errors.join('\n')).toContain(`broker.start_timeout_seconds: ${problem}`);
    }
    const fine = loadConfig({ path: write('limit.yaml', 'broker:\n  start_timeout_seconds: 2.5\n'), env: {} });
    expect(fine.ok && fine.config.broker.start_timeout_seconds).toBe(2.5);
  });

  it('refuses a control socket path longer than a Unix socket address holds', () => {
    const fits = '/run/' + 'x'.repeat(102);
    const fine = loadConfig({ path: write('socket.yaml', `broker:\n  control_socket: ${fits}\n`), env: {} });
    expect(fine.ok && fine.config.broker.control_socket).toBe(fits);
    const result = loadConfig({ path: write('socket.yaml', `broker:\n  control_socket: ${fits}y\n`), env: {} });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.join('\n')).toMatch(/broker\.control_socket: .*107/);
  });

  it('never echoes a secret it refuses', () => {
    expect(errorsOf('bearer-short-token.yaml').join('\n')).not.toContain('secret');
  });

  it('names the environment variable when an override is the bad value', () => {
    expect(errorsOf('valid-full.yaml', { ZVIZ_LOG_LEVEL: 'loud', ZVIZ_METRICS_ADDR: 'nowhere' })).toEqual([
      'environment ZVIZ_LOG_LEVEL: logging.level: must be one of debug, info, warn, error (got "loud")',
    ]);
    expect(errorsOf('valid-full.yaml', { ZVIZ_METRICS_ADDR: 'nowhere' })).toEqual([
      'environment ZVIZ_METRICS_ADDR: metrics.address: "nowhere" is not an address: expected HOST:PORT, for example 127.0.0.1:9090, 0.0.0.0:9090 or [::1]:9090',
    ]);
  });
});

describe('loading a configuration', () => {
  it('accepts every documented key', () => {
    const result = loadConfig({ path: join(fixtures, 'valid-full.yaml'), env: {} });
    expect(result.ok && result.config.metrics.address).toBe('[::1]:9464');
    expect(result.ok && result.config.metrics.response_budget_mb).toBe(32);
    expect(result.ok && result.config.api.stream.max_per_client).toBe(2);
    expect(result.ok && result.config.logging.audit.compress).toBe(true);
    expect(result.ok && result.config.broker.sample_interval_seconds).toBe(10);
    expect(result.ok && result.config.broker.start_timeout_seconds).toBe(30);
    expect(result.ok && result.config.containers[0]).toMatchObject({
      name: 'nightly-build',
      restart: 'on-failure:3',
      limits: { io_read_bps: '50M', io_write_bps: '20M' },
    });
    const bad = loadConfig({
      path: write('io.yaml', 'containers:\n  - name: c\n    command: ["true"]\n    limits: { io_write_bps: fast }\n'),
      env: {},
    });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.errors.join('\n')).toMatch(/containers\.0\.limits\.io_write_bps: .*such as 20M/);
  });

  it("accepts the monitoring guide's logging blocks as it prints them, with their meaning", () => {
    // "Log Configuration" and "Retain Audit Logs", comments and all.
    const guide = loadConfig({
      path: write(
        'guide-logging.yaml',
        [
          '# /etc/zviz/config.yaml',
          'logging:',
          '  level: info          # debug, info, warn, error',
          '  format: json         # text, json',
          '  output: /var/log/zviz/zviz.log',
          '  audit:',
          '    enabled: true',
          '    path: /var/log/zviz/audit.json',
          '',
        ].join('\n')
      ),
      env: {},
    });
    if (!guide.ok) {
      throw new Error(guide.errors.join('\n'));
    }
    expect(guide.config.logging).toMatchObject({
      level: 'info',
      format: 'json',
      output: '/var/log/zviz/zviz.log',
      audit: { enabled: true, path: '/var/log/zviz/audit.json' },
    });
    const retention = loadConfig({
      path: write('guide-retention.yaml', 'logging:\n  audit:\n    retention_days: 90\n    compress: true\n'),
      env: {},
    });
    expect(retention.ok && retention.config.logging.audit).toMatchObject({ retention_days: 90, compress: true });
    for (const level of ['debug', 'info', 'warn', 'error']) {
      expect(loadConfig({ path: write('level.yaml', `logging: { level: ${level} }\n`), env: {} }).ok, level).toBe(true);
    }
    for (const format of ['text', 'json']) {
      expect(loadConfig({ path: write('format.yaml', `logging: { format: ${format} }\n`), env: {} }).ok, format).toBe(
        true
      );
    }
  });

  it('fills defaults for everything left out', () => {
    const result = loadConfig({ path: write('empty.yaml', ''), env: {} });
    if (!result.ok) {
      throw new Error(result.errors.join('\n'));
    }
    const { config } = result;
    expect(config.variant).toBe('production');
    expect(config.node_name).toMatch(/^[A-Za-z0-9]/);
    expect(config.logging).toEqual({
      level: 'info',
      format: 'json',
      output: 'stderr',
      audit: {
        enabled: true,
        path: '/var/log/zviz/audit.json',
        retention_days: 90,
        compress: false,
        max_size_mb: 100,
        rotate_hours: 24,
        queue_size: 10000,
      },
    });
    expect(config.metrics).toEqual({
      address: '127.0.0.1:9090',
      auth: { type: 'none', exempt_probes: true },
      rate_limit: { rps: 10, burst: 20 },
      response_budget_mb: 64,
      max_series_per_family: 50000,
      scrape_interval_seconds: 15,
    });
    // Two scrapes at 15 s and 5 s of slack (docs/metrics.md).
    expect(endedRetentionSeconds(config.metrics)).toBe(35);
    expect(endedRetentionSeconds({ ...config.metrics, scrape_interval_seconds: 60 })).toBe(125);
    expect(endedRetentionSeconds({ ...config.metrics, ended_container_retention_seconds: 0 })).toBe(0);
    expect(config.api).toEqual({
      ring_size: 10000,
      stream: { max_clients: 32, max_per_client: 8, buffer_events: 1000, heartbeat_seconds: 15 },
    });
    expect(config.broker).toEqual(DEFAULT_BROKER_CONFIG);
    expect(config.tracer).toEqual(DEFAULT_TRACER_CONFIG);
    expect(config.containers).toEqual([]);
  });

  it('lets flags beat the environment and the environment beat the file', () => {
    const path = write('addr.yaml', 'metrics:\n  address: 127.0.0.1:1111\nvariant: production\n');
    const env = { ZVIZ_METRICS_ADDR: '127.0.0.1:2222', ZVIZ_VARIANT: 'canary', ZVIZ_NODE_NAME: 'n1' };
    const fromEnv = loadConfig({ path, env });
    expect(fromEnv.ok && [fromEnv.config.metrics.address, fromEnv.config.variant, fromEnv.config.node_name]).toEqual([
      '127.0.0.1:2222',
      'canary',
      'n1',
    ]);
    const fromFlag = loadConfig({ path, env, flags: { 'metrics.address': '127.0.0.1:3333' } });
    expect(fromFlag.ok && fromFlag.config.metrics.address).toBe('127.0.0.1:3333');
  });

  it('finds the file through ZVIZ_CONFIG', () => {
    const path = write('via-env.yaml', 'variant: from-env-file\n');
    const result = loadConfig({ env: { ZVIZ_CONFIG: path } });
    expect(result.ok && result.config.variant).toBe('from-env-file');
  });

  it('reads a bearer token from token_file without the trailing newline', () => {
    const token = write('token', '0123456789abcdef0123456789abcdef\n');
    const path = write('bearer.yaml', `metrics:\n  auth:\n    type: bearer\n    token_file: ${token}\n`);
    const result = loadConfig({ path, env: {} });
    expect(result.ok && result.config.metrics.auth).toMatchObject({ token: '0123456789abcdef0123456789abcdef' });
  });

  it('refuses an explicitly named file that does not exist', () => {
    const path = join(scratch, 'missing.yaml');
    expect(loadConfig({ path, env: {} })).toEqual({
      ok: false,
      source: path,
      errors: [`${path}: cannot read the configuration file: no such file`],
    });
  });
});
