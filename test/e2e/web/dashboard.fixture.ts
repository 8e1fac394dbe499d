/**
 * The Nest services the dashboard's browser tests look at: `dash-greeter` with a request tree the
 * generated form must handle (a nested message, a repeated field, a number, a boolean), a typed
 * failure, a bidirectional stream that answers each message, and a subscriber; `dash-late`, a tiny
 * service the tests start and stop to watch the fleet change.
 */
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, ValidateNested } from 'class-validator';
import { map, type Observable } from 'rxjs';
import { Handler, MicroError, Subscriber } from '../../../lib/index.js';

export class Address {
  @IsString()
  city!: string;

  @IsOptional()
  @IsString()
  street?: string;
}

export class GreetRequest {
  @IsString()
  name!: string;

  @IsOptional()
  @IsInt()
  age?: number;

  @IsOptional()
  @IsBoolean()
  loud?: boolean;

  @IsOptional()
  @IsString({ each: true })
  tags?: string[];

  @IsOptional()
  @ValidateNested()
  @Type(() => Address)
  address?: Address;
}

export class GreetResponse {
  @IsString()
  msg!: string;
}

export class EchoMessage {
  @IsString()
  text!: string;
}

export const TOPIC = 'dash.greeted';

@Controller()
export class DashGreeter {
  @Handler('Greeter.Hello', { request: GreetRequest, response: GreetResponse })
  hello(@Payload() req: GreetRequest): GreetResponse {
    const where = req.address ? ` from ${req.address.city}` : '';
    const tags = req.tags?.length ? ` [${req.tags.join(',')}]` : '';
    const msg = `Hello ${req.name}${req.age === undefined ? '' : ` (${req.age})`}${where}${tags}`;
    return { msg: req.loud ? msg.toUpperCase() : msg };
  }

  @Handler('Greeter.Fail')
  fail(): never {
    throw MicroError.conflict('dash-greeter.fail', 'name already taken');
  }

  @Handler('Greeter.Echo', { stream: true, request: EchoMessage, response: EchoMessage })
  echo(@Payload() messages: Observable<EchoMessage>): Observable<EchoMessage> {
    return messages.pipe(map((m) => ({ text: `echo: ${m.text}` })));
  }

  @Subscriber(TOPIC)
  onGreeted(): void {
    /* a subscriber, so the topic is in the registry */
  }
}

@Controller()
export class LateService {
  @Handler('Late.Ping')
  ping(): { pong: boolean } {
    return { pong: true };
  }
}
