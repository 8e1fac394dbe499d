/**
 * The sample service's module: one MicroModule.forRoot holds every setting (MICRO_* env overrides
 * it). The sample pins mDNS to loopback, so nothing it sends leaves this machine; on a LAN, drop
 * the registry line (the default is mDNS on the system's multicast interface).
 */
import { Module } from '@nestjs/common';
import { createRegistry } from 'nest-micro/registry';
import { MicroModule } from 'nest-micro';
import { GreeterController } from './greeter.controller.js';

export const sampleRegistry = (): ReturnType<typeof createRegistry> =>
  createRegistry('mdns', process.env.MICRO_REGISTRY_ADDRESS ?? '127.0.0.1');

@Module({
  imports: [MicroModule.forRoot({ name: 'greeter', address: '127.0.0.1:0', registry: sampleRegistry() })],
  controllers: [GreeterController],
})
export class GreeterModule {}
