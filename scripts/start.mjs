#!/usr/bin/env node
// `npm start`, ZViz's main job: the demo. Makes sure the machine has what
// ZViz needs, builds everything, then runs scripts/demo/main.ts: Prometheus
// with ZViz's rules, the agent, sandboxed workloads, and the backend
// datasource driven as Grafana drives it. Ctrl-C stops it all.
//
//   ZVIZ_SKIP_SETUP=1   do not install missing Debian or npm packages
//   ZVIZ_SKIP_BUILD=1   run what is already built
// (and the demo's own settings, listed in scripts/demo/main.ts)
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const began = Date.now();

function step(title, command, args) {
  const started = Date.now();
  console.log(`[${((started - began) / 1000).toFixed(1).padStart(6)}s] … ${title}`);
  const result = spawnSync(command, args, { cwd: repo, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`zviz: ${title} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
  console.log(
    `[${((Date.now() - began) / 1000).toFixed(1).padStart(6)}s] ✓ ${title} (${((Date.now() - started) / 1000).toFixed(1)} s)`
  );
}

if (process.getuid?.() !== 0) {
  console.log('zviz: not root: the demo runs Prometheus, the agent and the datasource, but no sandboxed workloads.');
}
if (process.env.ZVIZ_SKIP_SETUP !== '1') {
  step('Debian and npm packages (scripts/setup.sh)', 'bash', ['scripts/setup.sh']);
}
if (process.env.ZVIZ_SKIP_BUILD !== '1') {
  step('Build: app plugin, agent (BPF, addons, bundle), backend executable', 'npm', ['run', 'build', '--silent']);
}

// The demo runs in its own process group and stops its children itself. This
// process passes signals on once: under `npm start` a Ctrl-C arrives twice
// (from the terminal and forwarded by npm), and a second one means "kill
// everything now" to the demo.
const demo = spawn(process.execPath, ['--import', 'tsx', join(repo, 'scripts/demo/main.ts')], {
  cwd: repo,
  stdio: 'inherit',
  detached: true,
});
const lastSent = new Map();
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    const now = Date.now();
    if (now - (lastSent.get(signal) ?? 0) > 1000) {
      lastSent.set(signal, now);
      demo.kill(signal);
    }
  });
}
demo.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
