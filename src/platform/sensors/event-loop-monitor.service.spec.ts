import { setTimeout as sleep } from 'node:timers/promises';
import { EventLoopMonitor } from './event-loop-monitor.service';

describe(EventLoopMonitor.name, () => {
  it('should not read one long task in a window of few samples as saturation', async () => {
    const monitor = new EventLoopMonitor();
    try {
      await sleep(100);
      const until = performance.now() + 300;
      while (performance.now() < until);
      await sleep(50);
      // A p99 over a dozen samples would be the 300 ms task itself.
      expect(monitor.read().p99Ms).toBe(0);
    } finally {
      monitor.onModuleDestroy();
    }
  });
});
