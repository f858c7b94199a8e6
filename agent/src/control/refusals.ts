// Refused connections to the control socket, counted for
// zviz_control_refusals_total and recorded in the audit log: a workload
// reaching for the socket is an attack on the sandbox, and should page
// someone as a seccomp violation would.
import type { DecisionEvent } from '@zviz/shared/agent-api';

import type { FamilySamples, MetricSource } from '../metrics/source';
import type { PeerIdentity } from '../native/broker-addon';
import { REFUSAL_REASONS, type PeerRefusal, type RefusalReason } from './peer-guard';

export class ControlRefusals implements MetricSource {
  readonly families = ['zviz_control_refusals_total'];
  private readonly counts = new Map<RefusalReason, number>(REFUSAL_REASONS.map((r) => [r, 0]));

  constructor(
    private readonly socketPath: string,
    /** Into the event hub (audit log, API): events without their sequence number, which the hub assigns. */
    private readonly publish: (events: Array<Omit<DecisionEvent, 'seq'>>) => void
  ) {}

  record(refusal: PeerRefusal, peer: PeerIdentity): void {
    this.counts.set(refusal.reason, (this.counts.get(refusal.reason) ?? 0) + 1);
    this.publish([
      {
        timestamp: new Date().toISOString(),
        event_type: 'control',
        container_id: refusal.containerId ?? '',
        syscall: 'connect',
        args: {
          socket: this.socketPath,
          reason: refusal.reason,
          note: refusal.message,
          peer_uid: peer.uid,
          ...(peer.nsInit ? { peer_namespace_init: peer.nsInit.pid } : {}),
        },
        decision: 'deny',
        latency_us: 0,
        layer: 'broker',
        pid: peer.pid,
      },
    ]);
  }

  collect(): Map<string, FamilySamples> {
    return new Map([
      ['zviz_control_refusals_total', [...this.counts].map(([reason, value]) => ({ labels: { reason }, value }))],
    ]);
  }
}
