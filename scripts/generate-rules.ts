// npm run generate:rules [-- --config FILE] [--set NAME=VALUE ...] [--out DIR] [--check]
//
// Writes the Prometheus rule file, the Kubernetes PrometheusRule and
// dashboards ConfigMap, and the Grafana-managed rules from
// src/alerts/rules.yaml. Without --out it rewrites the files checked in to the
// repository; --check only reports whether they are up to date.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { loadConfig, overrideConfig, parseSettings } from './rules/config';
import { defaultConfig, generate, REPO } from './rules/outputs';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
      out: { type: 'string' },
      check: { type: 'boolean', default: false },
    },
  });
  let config = defaultConfig();
  if (values.config) {
    config = overrideConfig(config, loadConfig(resolve(values.config)), values.config);
  }
  config = overrideConfig(config, parseSettings(values.set ?? []), '--set');
  const outDir = values.out ? resolve(values.out) : REPO;

  const stale: string[] = [];
  for (const [path, content] of await generate(config)) {
    const target = join(outDir, path);
    let current: string | undefined;
    try {
      current = readFileSync(target, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === content) {
      continue;
    }
    stale.push(path);
    if (!values.check) {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
    }
  }
  if (values.check) {
    if (stale.length > 0) {
      console.error(`stale: ${stale.join(', ')}\nrun: npm run generate:rules`);
      return 1;
    }
    console.log('generated rule files are up to date');
    return 0;
  }
  console.log(stale.length > 0 ? `wrote ${stale.join(', ')}` : 'nothing to change');
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    console.error(`generate:rules: ${error.message}`);
    process.exitCode = 1;
  }
);
