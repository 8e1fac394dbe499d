/**
 * Handlers for the codec e2e suite: an echo for every JSON-shaped codec, raw bytes, a payload class
 * with class-validator rules, and a probe that reports whether a request polluted any prototype.
 */
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { IsInt, IsString, Max, Min, MinLength } from 'class-validator';
import { Handler } from '../../../lib/index.js';

export class OrderRequest {
  @IsString()
  @MinLength(3)
  sku!: string;

  @IsInt()
  @Min(1)
  @Max(100)
  quantity!: number;
}

@Controller()
export class CodecController {
  @Handler('Codec.Echo')
  echo(@Payload() data: unknown): unknown {
    return { echo: data };
  }

  @Handler('Codec.Reverse')
  reverse(@Payload() data: Buffer): Buffer {
    return Buffer.from(Uint8Array.from(data).toReversed());
  }

  @Handler('Codec.Order')
  order(@Payload() order: OrderRequest): { total: number; isInstance: boolean } {
    return { total: order.quantity * 2, isInstance: order instanceof OrderRequest };
  }

  /** What a hostile payload left behind, seen from inside the server process. */
  @Handler('Codec.Probe')
  probe(@Payload() data: Record<string, unknown>): Record<string, unknown> {
    return {
      polluted: (Object.prototype as Record<string, unknown>).polluted ?? null,
      ownProto: Object.prototype.hasOwnProperty.call(data ?? {}, '__proto__'),
      inheritedPolluted: ({} as Record<string, unknown>).polluted ?? null,
    };
  }

  @Handler('Codec.ProbeOrder')
  probeOrder(@Payload() order: OrderRequest): Record<string, unknown> {
    return {
      polluted: (Object.prototype as Record<string, unknown>).polluted ?? null,
      classPolluted: (OrderRequest.prototype as unknown as Record<string, unknown>).polluted ?? null,
      sku: order.sku,
    };
  }
}
