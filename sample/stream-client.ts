/**
 * Streams names to the greeter and prints each greeting as it comes back:
 * `node --import ./scripts/register-ts.mjs sample/stream-client.ts -- [--names Ann,Bob]
 * [--address host:port]` (the service from `npm run sample:service` must be running).
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { from } from 'rxjs';
import { MicroClient, MicroError, MicroModule } from 'nest-micro';
import { sampleRegistry } from './greeter.module.js';

const { values } = parseArgs({
  options: { address: { type: 'string' }, names: { type: 'string', default: 'Ann,Bob,Cy' } },
});

@Module({
  imports: [
    MicroModule.forRoot({ name: 'greeter-stream-client', registry: sampleRegistry() }),
    MicroModule.registerClients([{ name: 'GREETER', service: 'greeter' }]),
  ],
})
class StreamClientModule {}

const app = await NestFactory.createApplicationContext(StreamClientModule, { logger: ['error', 'warn'] });
const greeter = app.get<MicroClient>('GREETER');
try {
  const names = from(values.names.split(',').map((name) => ({ name })));
  for await (const reply of greeter.stream<{ msg: string }>('Greeter.Stream', names, {
    address: values.address,
  })) {
    console.log(reply.msg);
  }
} catch (error) {
  console.error(`stream failed: ${error instanceof MicroError ? error.toString() : String(error)}`);
  process.exitCode = 1;
} finally {
  await app.close();
}
