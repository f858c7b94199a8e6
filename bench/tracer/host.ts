// The process that holds the BPF programs during a benchmark run, as the
// agent would: ZViz's tracer (reading its maps once a second, like a busy
// scraper) or the floor (empty programs on the same tracepoints). Programs
// are loaded once and attached only between "on" and "off", so the runner
// can switch configurations in milliseconds and interleave many samples.
//
//   node host.js zviz '<tracer config JSON>' CGROUP_DIR
//   node host.js floor TRACEPOINT...
// Prints "ready" once loaded (detached). Answers "on" and "off" with "ok";
// on "stop" prints a JSON line {startup_cpu_ms, cpu_percent (while
// attached), rss_bytes, max_rss_bytes, reads} and exits.
import { createInterface } from 'node:readline';

import { resolveTracerConfig } from '../../agent/src/tracer/config';
import { resolveCgroup, cgroup2Mount } from '../../agent/src/tracer/cgroup-id';
import { loadTracerAddon } from '../../agent/src/tracer/native';
import { loadTracerTestingAddon } from '../../agent/test/support/tracer-testing-addon';

// The bundle runs from a temporary directory: the agent package is named by the runner.
const agentRoot = process.env.ZVIZ_AGENT_ROOT;
import { Tracer } from '../../agent/src/tracer/tracer';

async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2);
  const cpuStart = process.cpuUsage();
  let reads = 0;
  let stop: () => Promise<void>;
  let attach: (on: boolean) => void;
  let timer: NodeJS.Timeout | undefined;
  // CPU time and wall time spent attached: the agent's cost while it traces.
  let attached = false;
  let onCpu = 0;
  let onMs = 0;
  let since = { cpu: process.cpuUsage(), at: Date.now() };

  if (mode === 'zviz') {
    const config = resolveTracerConfig(JSON.parse(args[0]));
    const tracer = new Tracer(config, {
      addon: loadTracerAddon(agentRoot),
      logger: { info: () => undefined, warn: (details, message) => console.error(message, JSON.stringify(details)) },
    });
    await tracer.start();
    if (tracer.health().status !== 'ok') {
      throw new Error(`tracer not ok: ${JSON.stringify(tracer.health())}`);
    }
    tracer.trace('bench', resolveCgroup(args[1], cgroup2Mount()).id);
    tracer.setPaused(true);
    attach = (on) => tracer.setPaused(!on);
    timer = setInterval(() => {
      if (attached) {
        void tracer.source.collect().then(() => reads++);
      }
    }, 1000);
    stop = () => tracer.stop();
  } else if (mode === 'floor') {
    const loaded = loadTracerTestingAddon(agentRoot);
    if (!loaded.ok) {
      throw new Error(loaded.reason);
    }
    const floor = new loaded.addon.Floor();
    attach = (on) => (on ? floor.attach(args) : floor.detach());
    stop = async () => floor.detach();
  } else {
    throw new Error(`unknown mode ${mode}`);
  }

  // Loading and verifying the programs is counted apart from tracing.
  const startupCpu = process.cpuUsage(cpuStart);
  console.log('ready');
  const lines = createInterface({ input: process.stdin });
  const finish = async () => {
    if (timer) {
      clearInterval(timer);
    }
    const usage = process.resourceUsage();
    await stop();
    console.log(
      JSON.stringify({
        startup_cpu_ms: (startupCpu.user + startupCpu.system) / 1000,
        cpu_percent: onMs > 0 ? (100 * onCpu) / onMs : 0,
        rss_bytes: process.memoryUsage().rss,
        max_rss_bytes: usage.maxRSS * 1024,
        reads,
      })
    );
    process.exit(0);
  };
  lines.on('line', (line) => {
    const command = line.trim();
    if (command === 'on' || command === 'off') {
      if (attached) {
        const cpu = process.cpuUsage(since.cpu);
        onCpu += (cpu.user + cpu.system) / 1000;
        onMs += Date.now() - since.at;
      }
      attached = command === 'on';
      attach(attached);
      since = { cpu: process.cpuUsage(), at: Date.now() };
      console.log('ok');
    } else if (command === 'stop') {
      void finish();
    }
  });
  lines.on('close', () => void finish());
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
