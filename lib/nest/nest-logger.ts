/**
 * Plugs Nest's Logger into the core (see core/logger.ts) when the Nest layer loads, so registry,
 * broker and cache lines of a MicroModule app go through Nest's logger — app.useLogger(),
 * bufferLogs and log levels apply to them as to any Nest line. Imported for this effect by the
 * module, the server strategy and the client; a factory the user sets afterwards wins.
 */
import { Logger } from '@nestjs/common';
import { setLoggerFactory } from '../core/logger.js';

setLoggerFactory((context) => new Logger(context));
