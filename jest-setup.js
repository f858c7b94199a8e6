// Jest setup provided by Grafana scaffolding
import './.config/jest-setup';

// jsdom has no MessageChannel, and react-dom 19's server renderer (which
// @grafana/ui loads) creates one when imported. Node's own MessageChannel
// would keep Jest from exiting, so deliver messages on a timer instead.
class TimerMessagePort {
  onmessage = null;
  other = null;
  postMessage(data) {
    const target = this.other;
    setTimeout(() => target.onmessage?.({ data }), 0);
  }
  start() {}
  close() {}
  addEventListener(type, listener) {
    if (type === 'message') {
      this.onmessage = listener;
    }
  }
  removeEventListener() {}
}

class TimerMessageChannel {
  constructor() {
    this.port1 = new TimerMessagePort();
    this.port2 = new TimerMessagePort();
    this.port1.other = this.port2;
    this.port2.other = this.port1;
  }
}

if (typeof global.MessageChannel === 'undefined') {
  global.MessageChannel = TimerMessageChannel;
}
