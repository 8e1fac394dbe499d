/**
 * Starts the greeter service alone: `npm run sample:service`. Honours MICRO_SERVER_ADDRESS,
 * MICRO_REGISTRY(_ADDRESS), MICRO_BROKER(_ADDRESS) and MICRO_TRANSPORT. Stops (and deregisters)
 * on SIGTERM/SIGINT.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { MicroServer } from 'nest-micro';
import { GreeterModule } from './greeter.module.js';

const app = await NestFactory.createMicroservice(GreeterModule, MicroServer.fromModule());
app.enableShutdownHooks();
await app.listen();
const server = app.get(MicroServer);
console.log(`greeter ready at ${server.service?.nodes[0]?.address} (node ${server.service?.nodes[0]?.id})`);
