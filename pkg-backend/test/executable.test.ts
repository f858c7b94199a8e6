// The packaged executable, as Grafana would find it next to the nested
// datasource's plugin.json.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const executable = join(
  __dirname,
  '..',
  '..',
  'dist',
  'datasource',
  `gpx_zviz_linux_${process.arch === 'arm64' ? 'arm64' : 'amd64'}`
);

describe('gpx_zviz executable', () => {
  it('is built as an executable file', () => {
    const mode = statSync(executable).mode & 0o777;
    expect(mode).toBe(0o755);
  });

  it('refuses to run by hand, saying that Grafana starts it', () => {
    const result = spawnSync(executable, [], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/Grafana plugin/);
  });
});
