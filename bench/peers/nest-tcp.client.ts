/** Peer: Nest's TCP ClientProxy, `send` turned into a promise per call. */
import 'reflect-metadata';
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { isHello, REQUEST, runClient } from '../load.js';

const client = ClientProxyFactory.create({
  transport: Transport.TCP,
  options: { host: '127.0.0.1', port: Number(process.env.BENCH_PORT) },
});
await client.connect();
await runClient(() => firstValueFrom(client.send('Greeter.Hello', REQUEST)), isHello);
await client.close();
