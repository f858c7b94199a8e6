// `npm start` after setup and build (scripts/start.mjs): the demo. Starts
// Prometheus with ZViz's rules, the agent, sandboxed workloads under the
// built-in profiles, and the backend datasource driven as Grafana drives it;
// prints where to look and a live summary; stops everything on Ctrl-C and
// checks that nothing is left.
//
// Environment:
//   ZVIZ_METRICS_ADDR          the agent's address (default 127.0.0.1:9090, the agent's own default)
//   ZVIZ_DEMO_PROMETHEUS_ADDR  Prometheus' address (default 127.0.0.1:9091, else a free port)
//   ZVIZ_DEMO_SUMMARY_SECONDS  seconds between summaries (default 15)
//   ZVIZ_DEMO_DURATION         stop by itself after this many seconds (default: run until Ctrl-C)
//   ZVIZ_DEMO_KEEP=1           keep the demo's directory (logs, audit log, Prometheus data)
import { Demo, settings } from './demo';

async function main(): Promise<void> {
  let demo: Demo;
  try {
    demo = new Demo(settings(process.env));
  } catch (error) {
    process.stderr.write(`zviz demo: ${(error as Error).message}\n`);
    process.exit(2);
  }
  let interrupts = 0;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (++interrupts > 1) {
        demo.forceKill();
        process.exit(130);
      }
      void demo.stop();
    });
  }
  const code = await demo.run();
  process.exit(code);
}

void main();
