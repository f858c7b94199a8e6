import { describe, expect, it } from 'vitest';

import { alertLevel, cpuQuotaUs, parseCpus, parseIoRate, parseMemory, parsePids } from './limits';

describe('resource limits', () => {
  it('reads memory sizes in powers of 1024, as Docker does', () => {
    expect(parseMemory('512M')).toBe(512 * 1024 * 1024);
    expect(parseMemory('1.5g')).toBe(1.5 * 1024 ** 3);
    expect(parseMemory('2GiB')).toBe(2 * 1024 ** 3);
    expect(parseMemory('1048576')).toBe(1048576);
    expect(() => parseMemory('lots')).toThrow(/invalid memory limit "lots"/);
    expect(() => parseMemory('12k')).toThrow(/below 256 KiB/);
  });

  it('reads CPUs and pids, refusing what the kernel cannot enforce', () => {
    expect(parseCpus('0.5')).toBe(0.5);
    expect(cpuQuotaUs(0.5)).toBe(50_000);
    expect(cpuQuotaUs(2)).toBe(200_000);
    expect(() => parseCpus('0')).toThrow(/invalid CPU limit/);
    expect(() => parseCpus('0.001')).toThrow(/below 0.01/);
    expect(parsePids('256')).toBe(256);
    expect(() => parsePids('1.5')).toThrow(/whole number/);
  });

  it('reads I/O rates as bytes a second, in powers of 1024', () => {
    expect(parseIoRate('10M')).toBe(10 * 1024 * 1024);
    expect(parseIoRate('512k')).toBe(512 * 1024);
    expect(parseIoRate('20MB/s')).toBe(20 * 1024 * 1024);
    expect(parseIoRate('1048576')).toBe(1048576);
    expect(parseIoRate(65536)).toBe(65536);
    expect(() => parseIoRate('fast')).toThrow(/invalid I\/O rate "fast"/);
    expect(() => parseIoRate('100')).toThrow(/below 4K/);
  });

  it('gives the resource alert levels at 80, 90 and 95 %', () => {
    expect([0, 0.79, 0.8, 0.89, 0.9, 0.949, 0.95, 1.2].map(alertLevel)).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
  });
});
