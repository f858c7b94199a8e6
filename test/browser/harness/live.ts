// Grafana Live as the app's Decisions page sees it: the decisions channel of
// the ZViz datasource, emitting a few decisions as the backend's RunStream
// would (one frame per packet, appended into a bounded buffer).
import { FieldType, LoadingState, type LiveChannelAddress, StreamingDataFrame } from '@grafana/data';
import { Observable } from 'rxjs';

export const subscriptions: LiveChannelAddress[] = [];

const SYSCALLS = ['openat', 'connect', 'mount', 'ptrace', 'execve'];
const DECISIONS = ['allow', 'allow', 'deny', 'kill', 'allow'];

export const liveSrv = {
  getDataStream({ addr }: { addr: LiveChannelAddress }) {
    subscriptions.push(addr);
    return new Observable((subscriber) => {
      const frame = StreamingDataFrame.fromDataFrameJSON(
        {
          schema: {
            fields: [
              { name: 'time', type: FieldType.time },
              { name: 'container_id', type: FieldType.string },
              { name: 'syscall', type: FieldType.string },
              { name: 'decision', type: FieldType.string },
              { name: 'layer', type: FieldType.string },
              { name: 'latency_us', type: FieldType.number },
            ],
          },
        },
        { maxLength: 500 }
      );
      let n = 0;
      const emit = () => {
        const i = n++ % SYSCALLS.length;
        frame.push({
          data: {
            values: [
              [1_700_000_000_000 + n * 250],
              [addr.path?.split('/')[1] ?? 'ci-42'],
              [SYSCALLS[i]],
              [DECISIONS[i]],
              ['broker'],
              [4 + i],
            ],
          },
        });
        subscriber.next({ data: [frame], state: LoadingState.Streaming, key: 'zviz' });
      };
      for (let k = 0; k < 8; k++) {
        emit();
      }
      const timer = setInterval(emit, 250);
      return () => clearInterval(timer);
    });
  },
};
