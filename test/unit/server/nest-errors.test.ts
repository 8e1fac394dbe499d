// Nest's exceptions in go-micro's error model: HttpException by its status, RpcException by its
// payload, plain errors as 500s; a MicroError (a plain Error, not an RpcException) still reaches
// callers of Nest's own RPC transports as its JSON through MicroExceptionFilter.
import 'reflect-metadata';
import { ForbiddenException, HttpException, NotFoundException, type ArgumentsHost } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { firstValueFrom, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { toMicroError as coreToMicroError } from '../../../lib/core/errors/from-unknown.js';
import { MicroError } from '../../../lib/core/errors/micro-error.js';
import { toMicroError } from '../../../lib/nest/errors.js';
import { MicroExceptionFilter } from '../../../lib/nest/server/micro-exception.filter.js';

describe('toMicroError (Nest layer)', () => {
  it('keeps a MicroError as it is', () => {
    const error = MicroError.conflict('greeter.fail', 'taken');
    expect(toMicroError(error, 'svc')).toBe(error);
    expect(error).not.toBeInstanceOf(RpcException);
  });

  it('maps an HttpException to its status and message', () => {
    expect(toMicroError(new NotFoundException('no such greeting'), 'svc')).toMatchObject({
      id: 'svc',
      code: 404,
      detail: 'no such greeting',
    });
    const validation = new HttpException({ message: ['name is short', 'age is negative'] }, 400);
    expect(toMicroError(validation, 'svc')).toMatchObject({
      code: 400,
      detail: 'name is short; age is negative',
    });
    expect(toMicroError(new ForbiddenException(), 'svc').code).toBe(403);
  });

  it('maps an RpcException by its payload', () => {
    const shaped = new RpcException({ code: 401, detail: 'token expired', id: 'auth' });
    expect(toMicroError(shaped, 'svc')).toMatchObject({ id: 'auth', code: 401, detail: 'token expired' });
    expect(toMicroError(new RpcException({ code: 429, detail: 'slow down' }), 'svc').id).toBe('svc');
    expect(toMicroError(new RpcException('Forbidden resource'), 'svc').code).toBe(403);
    expect(toMicroError(new RpcException('boom'), 'svc')).toMatchObject({ code: 500, detail: 'boom' });
    expect(toMicroError(new RpcException({ message: 'odd' }), 'svc')).toMatchObject({
      code: 500,
      detail: 'odd',
    });
  });

  it('leaves everything else to the core mapping', () => {
    expect(toMicroError(new Error('database exploded'), 'svc')).toMatchObject({ code: 500, id: 'svc' });
    expect(toMicroError({ code: 409, detail: 'x' }, 'svc')).toMatchObject({ code: 409, id: 'svc' });
    // the core alone knows no Nest exception: an HttpException is only an Error there
    expect(coreToMicroError(new NotFoundException('gone'), 'svc')).toMatchObject({
      code: 500,
      detail: 'gone',
    });
  });
});

describe('MicroExceptionFilter on other RPC transports', () => {
  const tcpHost = {
    getType: () => 'rpc',
    switchToRpc: () => ({ getContext: () => ({}), getData: () => ({}) }),
  } as unknown as ArgumentsHost;

  it('passes a MicroError on as its JSON, as when it was an RpcException', async () => {
    const out = new MicroExceptionFilter().catch(MicroError.conflict('greeter.fail', 'taken'), tcpHost);
    await expect(firstValueFrom(out as Observable<unknown>)).rejects.toEqual({
      id: 'greeter.fail',
      code: 409,
      detail: 'taken',
      status: 'Conflict',
    });
  });
});
