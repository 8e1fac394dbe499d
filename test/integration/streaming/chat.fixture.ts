/** Streaming endpoints used by the streaming tests: echo, server/client streaming, failures, producers. */
import {
  Controller,
  Injectable,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  concat,
  map,
  Observable,
  range,
  reduce,
  switchMap,
  take,
  throwError,
  type Observable as Obs,
} from 'rxjs';
import { Handler, MicroContext, MicroError } from '../../../lib/index.js';

interface N {
  n: number;
}

/** What the producers did, read by the tests. */
export const stats = {
  produced: 0,
  stopped: false,
  inputEnded: '' as '' | 'complete' | 'error',
  reset(): void {
    this.produced = 0;
    this.stopped = false;
    this.inputEnded = '';
  },
};

@Injectable()
export class TagInterceptor implements NestInterceptor {
  static calls = 0;
  intercept(_context: ExecutionContext, next: CallHandler): Obs<unknown> {
    TagInterceptor.calls++;
    return next.handle().pipe(map((reply: N) => ({ ...reply, tagged: true })));
  }
}

@Controller()
export class ChatController {
  /** Bidirectional: one reply per request, in order. */
  @Handler('Chat.Echo', { stream: true })
  echo(@Payload() requests: Observable<N>): Observable<N> {
    return requests.pipe(map((r) => ({ n: r.n })));
  }

  /** Server streaming: the first request says how many replies. */
  @Handler('Chat.Count', { stream: true })
  count(@Payload() requests: Observable<{ count: number }>): Observable<N> {
    return requests.pipe(
      take(1),
      switchMap((r) => range(0, r.count).pipe(map((n) => ({ n })))),
    );
  }

  /** Client streaming: one reply after the requests end. */
  @Handler('Chat.Sum', { stream: true })
  sum(@Payload() requests: Observable<N>): Observable<{ total: number; count: number }> {
    return requests.pipe(
      reduce((acc, r) => ({ total: acc.total + r.n, count: acc.count + 1 }), { total: 0, count: 0 }),
    );
  }

  /** An endless producer that notes when it is torn down and how its input ended. */
  @Handler('Chat.Ticker', { stream: true })
  ticker(@Payload() requests: Observable<unknown>): Observable<N> {
    requests.subscribe({
      error: () => (stats.inputEnded = 'error'),
      complete: () => (stats.inputEnded = 'complete'),
    });
    return new Observable<N>((subscriber) => {
      const timer = setInterval(() => subscriber.next({ n: stats.produced++ }), 1);
      return () => {
        clearInterval(timer);
        stats.stopped = true;
      };
    });
  }

  /** 50 replies, then a typed error. */
  @Handler('Chat.FailAfter', { stream: true })
  failAfter(): Observable<N> {
    return concat(
      range(0, 50).pipe(map((n) => ({ n }))),
      throwError(() => MicroError.conflict('chat.fail', 'failed after 50')),
    );
  }

  /** An endless async generator: pulled only as fast as the client consumes. */
  @Handler('Chat.Generate', { stream: true })
  generate(): AsyncIterable<N> {
    return (async function* () {
      try {
        for (;;) yield { n: stats.produced++ };
      } finally {
        stats.stopped = true;
      }
    })();
  }

  /** An Observable that ignores the window entirely (pushes 1000 replies per tick). */
  @Handler('Chat.Flood', { stream: true, maxBuffered: 256 * 1024 })
  flood(): Observable<N> {
    return new Observable<N>((subscriber) => {
      const timer = setInterval(() => {
        for (let i = 0; i < 1000; i++) subscriber.next({ n: stats.produced++ });
      }, 1);
      return () => {
        clearInterval(timer);
        stats.stopped = true;
      };
    });
  }

  /** Through a Nest interceptor that tags every reply; echoes metadata. */
  @Handler('Chat.Tagged', { stream: true })
  @UseInterceptors(TagInterceptor)
  tagged(@Payload() requests: Observable<N>, @Ctx() ctx: MicroContext): Observable<N & { user?: string }> {
    return requests.pipe(map((r) => ({ n: r.n, user: ctx.get('x-user') })));
  }

  @Handler('Chat.Unary')
  unary(): { ok: boolean } {
    return { ok: true };
  }
}
