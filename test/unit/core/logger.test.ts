// The core's logger: lines go to the console by default, follow a factory set later (even for a
// component built before), and the Nest layer routes them through Nest's Logger when it loads.
import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  consoleLoggerFactory,
  loggerFor,
  setLoggerFactory,
  type MicroLogger,
} from '../../../lib/core/logger.js';

const recorder =
  (lines: string[]) =>
  (context: string): MicroLogger => ({
    log: (m) => lines.push(`log ${context} ${m}`),
    warn: (m) => lines.push(`warn ${context} ${m}`),
    error: (m, stack) => lines.push(`error ${context} ${m}${stack ? ` ${stack}` : ''}`),
    debug: (m) => lines.push(`debug ${context} ${m}`),
  });

describe('core logger', () => {
  afterEach(() => {
    setLoggerFactory(undefined);
    vi.restoreAllMocks();
  });

  it('writes to the console, prefixed with the context, by default', () => {
    setLoggerFactory(undefined);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    loggerFor('MemoryBroker').warn('dropping message');
    expect(warn).toHaveBeenCalledWith('[MemoryBroker] dropping message');
  });

  it('follows a factory set after the logger was made', () => {
    const logger = loggerFor('RedisBroker');
    const lines: string[] = [];
    setLoggerFactory(recorder(lines));
    logger.warn('one');
    logger.error('two', 'at x');
    logger.debug('three');
    setLoggerFactory(consoleLoggerFactory);
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    logger.log('not recorded');
    expect(lines).toEqual(['warn RedisBroker one', 'error RedisBroker two at x', 'debug RedisBroker three']);
  });

  it("goes through Nest's Logger once the Nest layer is loaded", async () => {
    await import('../../../lib/nest/nest-logger.js');
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    loggerFor('MdnsRegistry').warn('mdns: socket closed');
    expect(warn).toHaveBeenCalledWith('mdns: socket closed');
    expect(warn.mock.contexts[0]).toMatchObject({ context: 'MdnsRegistry' });
  });
});
