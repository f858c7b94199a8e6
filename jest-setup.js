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

// jsdom has no canvas. @grafana/ui measures text on one (Combobox widths);
// give it a 2D context whose measureText approximates a monospace width.
HTMLCanvasElement.prototype.getContext = function getContext() {
  return {
    font: '',
    measureText: (text) => ({
      width: String(text).length * 7,
      actualBoundingBoxAscent: 10,
      actualBoundingBoxDescent: 3,
    }),
  };
};

// jsdom has no ResizeObserver or IntersectionObserver; @grafana/ui creates
// them (Drawer titles, TruncatedText, scroll indicators). Nothing is laid out
// in jsdom, so there is never a change to report.
class NoLayoutObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
}
global.ResizeObserver ??= NoLayoutObserver;
global.IntersectionObserver ??= NoLayoutObserver;

// findBy*/waitFor give up after 1 s by default; on a loaded 2-core machine a
// @grafana/ui combobox takes longer than that to open in jsdom.
import { configure } from '@testing-library/react';
configure({ asyncUtilTimeout: 10_000 });
