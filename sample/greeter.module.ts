/** The sample service's module: one MicroModule.forRoot holds every setting (MICRO_* env overrides it). */
import { Module } from '@nestjs/common';
import { MicroModule } from '../lib/index.js';
import { GreeterController } from './greeter.controller.js';

@Module({
  imports: [MicroModule.forRoot({ name: 'greeter', address: '127.0.0.1:0' })],
  controllers: [GreeterController],
})
export class GreeterModule {}
