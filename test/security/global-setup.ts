// A global setup of the cross-component runner (test/vitest.config.mts): the
// attack programs are built once, before any test file starts. Built from
// each attack suite's beforeAll instead, a fresh tree's 76 static programs
// took 65 s at load 7 on 2 cores, past that hook's 60 s, with the worker's
// event loop blocked meanwhile (vitest then also reports "Timeout calling
// onTaskUpdate"), and files running side by side each ran make in the same
// directory at once. The suites still call buildAttacks(), which then finds
// nothing to do. Without root the suites skip and nothing is built.
import { buildAttacks } from './attack-programs';

export default function setup(): void {
  if (process.getuid?.() === 0) {
    buildAttacks();
  }
}
