/**
 * MicroTestingModule: MicroModule on a test network (memory registry, broker and transport), so a
 * service and its clients run inside a test without sockets:
 * `Test.createTestingModule({ imports: [MicroTestingModule.forRoot({ name: 'greeter' })], … })`.
 */
import { Module, type DynamicModule } from '@nestjs/common';
import { MicroModule } from '../nest/micro.module.js';
import type { MicroOptions } from '../nest/options.js';
import { defaultTestNetwork, type MicroTestNetwork } from './testing.network.js';

@Module({})
export class MicroTestingModule {
  /** `MicroModule.forRoot(network.options(options))`; clients register with MicroModule.registerClients. */
  static forRoot(
    options: MicroOptions = {},
    network: MicroTestNetwork = defaultTestNetwork(),
  ): DynamicModule {
    return MicroModule.forRoot(network.options(options));
  }
}
