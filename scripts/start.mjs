#!/usr/bin/env node
// `npm start`, ZViz's main job: makes sure the machine has what ZViz needs,
// builds everything, and runs the agent in the foreground with its metrics
// and health server on the default address. Ctrl-C stops it.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');

function step(title, command, args) {
  console.log(`\n==> ${title}`);
  const result = spawnSync(command, args, { cwd: repo, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`zviz: ${title} failed (exit ${result.status})`);
    process.exit(result.status ?? 1);
  }
}

step('Checking Debian and npm packages', 'bash', ['scripts/setup.sh']);
step('Building the app plugin, the backend datasource and the agent', 'npm', ['run', 'build']);

const addr = process.env.ZVIZ_METRICS_ADDR ?? '127.0.0.1:9090';
console.log(`\n==> Starting the agent on ${addr}`);
console.log(`    metrics: curl http://${addr}/metrics`);
console.log(`    health:  curl http://${addr}/health`);
const agent = spawn(process.execPath, [join(repo, 'agent/bin/zviz.js'), 'agent', '--addr', addr], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => agent.kill(signal));
}
agent.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
