// The entry of dist/zviz-tracer-worker.js: the thread that shapes the
// tracer's reads into exposition lines (read-shaper.ts), so a scrape at a
// thousand containers does not hold the agent's main thread for it. It keeps
// the series caps; the main thread sends each read and each forgotten cgroup,
// in order, and gets the rendered families back (shaping-thread.ts).
import { parentPort, workerData } from 'node:worker_threads';

import { ReadShaper, unpackRead, type ShaperSetup } from './read-shaper';
import type { FromShapingWorker, ToShapingWorker } from './shaping-thread';

const port = parentPort;
if (!port) {
  throw new Error('zviz-tracer-worker runs as a worker thread of the agent');
}
const shaper = new ReadShaper(workerData as ShaperSetup);
port.on('message', (message: ToShapingWorker) => {
  if (message.type === 'forget') {
    shaper.forget(message.cgroup);
    return;
  }
  let reply: FromShapingWorker;
  try {
    const shaped = shaper.shape({ ...message.request, snapshot: unpackRead(message.request.snapshot) });
    reply = {
      id: message.id,
      families: [...shaped.families].map(([name, r]) => ({ name, body: r.body, ends: r.ends, invalid: r.invalid })),
      series: shaped.series,
    };
  } catch (error) {
    reply = { id: message.id, error: (error as Error)?.stack ?? String(error) };
  }
  port.postMessage(reply);
});
