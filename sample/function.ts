/**
 * The sample function (go-micro's micro.NewFunction): `npm run sample:function` registers
 * "greeter-fn", answers one `Greeter.Hello` call, deregisters and exits 0.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { MicroModule, runFunction } from 'nest-micro';
import { GreeterController } from './greeter.controller.js';
import { sampleRegistry } from './greeter.module.js';

@Module({
  imports: [
    MicroModule.forRoot({
      name: 'greeter-fn',
      address: '127.0.0.1:0',
      registry: sampleRegistry(),
      propagationDelay: 0,
    }),
  ],
  controllers: [GreeterController],
})
class GreeterFunctionModule {}

await runFunction(GreeterFunctionModule, { logger: ['error', 'warn'] });
console.log('greeter-fn served its call and stopped');
