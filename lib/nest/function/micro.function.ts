/**
 * The function model (go-micro's micro.NewFunction): a service that registers, serves exactly one
 * call — or one event, for a subscriber function — replies, deregisters and returns, so the
 * process can exit 0. Calls that arrive after the first are refused as retryable, so callers move
 * on to another instance.
 */
import type { Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroServer } from '../server/micro.server.js';

/**
 * Nest's options for a microservice app (logger, bufferLogs, abortOnError, …), read off the public
 * NestFactory.createMicroservice: @nestjs/common keeps the named type in an internal module.
 */
export type NestMicroserviceOptions = NonNullable<Parameters<typeof NestFactory.createMicroservice>[1]>;

export async function runFunction(
  module: Type<unknown>,
  options: NestMicroserviceOptions = {},
): Promise<void> {
  const app = await NestFactory.createMicroservice(module, { ...options, ...MicroServer.fromModule() });
  app.enableShutdownHooks();
  const served = app.get(MicroServer).serveOnce();
  await app.listen();
  await served;
  await app.close();
}
