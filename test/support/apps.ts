/**
 * Nest apps for the suites that run real ones: a service alone (a microservice on MicroServer,
 * listening), or a service and a caller (an HTTP app context holding clients), started in that
 * order and closed in reverse.
 */
import type { INestApplication, INestMicroservice, LogLevel, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MicroServer } from '../../lib/index.js';

export interface AppPair {
  service: INestMicroservice;
  caller: INestApplication;
  /** The service's bound listen address. */
  address: string;
}

/** `serviceModule` as a Nest microservice on MicroServer, listening. */
export async function startService(
  serviceModule: Type<unknown>,
  logger: LogLevel[] | false = false,
): Promise<INestMicroservice> {
  const ref = await Test.createTestingModule({ imports: [serviceModule] }).compile();
  const service = ref.createNestMicroservice({ ...MicroServer.fromModule(), logger });
  await service.listen();
  return service;
}

export async function startPair(
  serviceModule: Type<unknown>,
  callerModule: Type<unknown>,
  logger: LogLevel[] | false = ['error', 'warn'],
): Promise<AppPair> {
  const service = await startService(serviceModule, logger);
  const callerRef = await Test.createTestingModule({ imports: [callerModule] }).compile();
  const caller = callerRef.createNestApplication({ logger });
  await caller.init();
  return { service, caller, address: service.get(MicroServer).address! };
}

export async function closePair(pair: AppPair | undefined): Promise<void> {
  await pair?.caller.close();
  await pair?.service.close();
}
