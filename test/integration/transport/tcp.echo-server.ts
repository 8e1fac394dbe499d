/** A child process for the TCP transport tests: an echo server on the port given as argv[2]. */
import { TcpTransport } from '../../../lib/core/transport/tcp/tcp.transport.js';
import { echoAcceptor } from './tcp.helpers.js';

const listener = await new TcpTransport().listen(`127.0.0.1:${process.argv[2] ?? 0}`, echoAcceptor());
process.stdout.write(`listening ${listener.address}\n`);
process.on('SIGTERM', () => void listener.close(1_000).then(() => process.exit(0)));
