/**
 * Calls the greeter once and prints the reply: `npm run sample:client -- [--name John]
 * [--address host:port]`. With --address the call bypasses discovery (go-micro's
 * client.WithAddress); without it the service is found through the registry.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroClient, MicroError, MicroModule } from 'nest-micro';
import { sampleRegistry } from './greeter.module.js';

const { values } = parseArgs({
  options: { address: { type: 'string' }, name: { type: 'string', default: 'John' } },
});

@Module({
  imports: [
    MicroModule.forRoot({ name: 'greeter-client', registry: sampleRegistry() }),
    MicroModule.registerClients([{ name: 'GREETER', service: 'greeter' }]),
  ],
})
class ClientModule {}

const app = await NestFactory.createApplicationContext(ClientModule, { logger: ['error', 'warn'] });
const greeter = app.get<MicroClient>('GREETER');
try {
  const reply = await greeter.call<{ msg: string }>(
    'greeter',
    'Greeter.Hello',
    { name: values.name },
    { address: values.address },
  );
  console.log(reply.msg);
  await greeter.publish('greeter.greeted', { name: values.name });
} catch (error) {
  const e = MicroError.fromObject(error) ?? error;
  console.error(`call failed: ${e instanceof MicroError ? e.toString() : String(e)}`);
  process.exitCode = 1;
} finally {
  await app.close();
}
