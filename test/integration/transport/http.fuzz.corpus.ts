/**
 * Inputs for the HTTP-wire fuzz: a seeded PRNG (mulberry32, so a run replays from its seed), a
 * corpus of valid go-micro requests (unary and stream, every codec), and generators that mutate
 * them: request lines, hostile values in every header the server reads, wrong Content-Length,
 * truncated and oversized bodies, chunked encodings (valid, invalid, endless), go-micro stream
 * framing out of order, pipelining, garbage and abrupt closes.
 */
import { goMicroRequest, MAX_BODY } from './http.fuzz.fixture.js';

export type Random = () => number;

/** mulberry32: small, fast, and the same sequence for the same seed. */
export function prng(seed: number): Random {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** One hostile connection: its bytes in writes, what follows them, and a label for reports. */
export interface FuzzCase {
  label: string;
  parts: Buffer[];
  /** After the parts: keep writing chunks until the deadline (an endless chunked body). */
  endless?: Buffer;
  /** How the client leaves: destroy at once, half-close and wait, or wait for the deadline. */
  leave: 'destroy' | 'end' | 'wait';
}

const CODECS = [
  'application/json',
  'text/json',
  'application/json-rpc',
  'application/protobuf',
  'application/proto-rpc',
  'application/octet-stream',
];

/** Every header the server reads, by its wire name. */
export const READ_HEADERS = [
  'Content-Type',
  'Timeout',
  'Micro-Id',
  'Micro-Service',
  'Micro-Endpoint',
  'Micro-Method',
  'Micro-Stream',
  'Micro-Error',
  'X-Micro-Id',
  'X-Micro-Endpoint',
  'X-User',
  'Content-Length',
  'Transfer-Encoding',
  'Connection',
  'Host',
];

const protoRpcFrames = (...parts: Buffer[]): Buffer =>
  Buffer.concat(parts.flatMap((p) => [Buffer.from([0, 0, 0, p.length]), p]));

function bodyFor(codec: string, endpoint: string): Buffer {
  switch (codec) {
    case 'application/json-rpc':
      return Buffer.from(`{"method":"${endpoint}","params":[{"n":1}],"id":"1"}\n`);
    case 'application/protobuf':
      return Buffer.from([0x08, 0x01]);
    case 'application/proto-rpc': {
      const head = Buffer.concat([
        Buffer.from([0x0a, endpoint.length]),
        Buffer.from(endpoint),
        Buffer.from([0x10, 1]),
      ]);
      return protoRpcFrames(head, Buffer.from([0x08, 0x01]));
    }
    case 'application/octet-stream':
      return Buffer.from([0, 1, 2, 0xff]);
    default:
      return Buffer.from(endpoint === 'Fuzz.Fail' ? '{"detail":"x"}\n' : '{"n":1}\n');
  }
}

export class FuzzInputs {
  constructor(private readonly random: Random) {}

  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }

  bytes(n: number): Buffer {
    return Buffer.from(Array.from({ length: n }, () => this.int(256)));
  }

  /** A valid unary call, in one of the codecs. */
  unary(extra: Record<string, string> = {}): Buffer {
    const codec = this.pick(CODECS);
    const endpoint = this.pick(['Fuzz.Echo', 'Fuzz.Fail', 'Fuzz.Nope', 'Fuzz.Stream']);
    return goMicroRequest(endpoint, bodyFor(codec, endpoint), { 'Content-Type': codec, ...extra });
  }

  /** A valid go-micro stream on one connection: opening message, data, EOS (ids may interleave). */
  stream(): Buffer[] {
    const codec = this.pick(CODECS);
    const endpoint = this.pick(['Fuzz.Stream', 'Fuzz.FailStream', 'Fuzz.Echo']);
    const id = String(1 + this.int(3));
    const message = (body: Buffer, extra: Record<string, string> = {}): Buffer =>
      goMicroRequest(endpoint, body, { 'Content-Type': codec, 'Micro-Stream': id, 'Micro-Id': id, ...extra });
    const out = [message(bodyFor(codec, endpoint))];
    for (let n = this.int(4); n > 0; n--) out.push(message(bodyFor(codec, endpoint)));
    out.push(message(Buffer.alloc(0), { 'Micro-Error': 'EOS' }));
    return out;
  }

  /** A header value no well-behaved client sends. */
  hostileValue(): string {
    const pieces = [
      () => this.bytes(1 + this.int(16)).toString('latin1'), // anything, invalid UTF-8 included
      () => Buffer.from('€ é 𝄞 \u{1F600} ☃', 'utf8').toString('latin1'), // UTF-8, astral too
      () => '\xff\xfe\xc3\x28\xa0\xa1\xe2\x82\xf0\x28\x8c\xbc', // invalid UTF-8 sequences
      () => '\x00\x01\x7f\x1b[31m',
      () => 'a\rb',
      () => 'a\nb',
      () => '\t  ',
      () => '',
      () => String(this.int(2) ? -1 : 1e30),
      () => '9'.repeat(1 + this.int(40)),
      () => 'x'.repeat(this.pick([100, 4000, 20_000, 70_000])),
      () => 'EOS',
      () => '{"id":"x","code":"500","detail":1}',
    ];
    return Array.from({ length: 1 + this.int(3) }, () => this.pick(pieces)()).join('');
  }

  /** A request whose headers hold a hostile value, duplicate, or a name no token allows. */
  hostileHeaders(): Buffer {
    const name = this.int(8) === 0 ? this.hostileValue().slice(0, 20) || 'X' : this.pick(READ_HEADERS);
    const value = this.hostileValue();
    const stream: Record<string, string> = this.int(2) === 0 ? { 'Micro-Stream': '1' } : {};
    return Buffer.concat([
      Buffer.from(
        this.unary(stream).toString('latin1').replace('\r\n', `\r\n${name}: ${value}\r\n`),
        'latin1',
      ),
    ]);
  }

  requestLine(): Buffer {
    const method = this.pick([
      'POST',
      'GET',
      'PUT',
      'HEAD',
      'OPTIONS',
      'PRI',
      'CONNECT',
      'POSTX',
      'post',
      'P\x00ST',
    ]);
    const path = this.pick(['/', '*', '', '/a b', 'http://x/', '/\xff\xfe', `/${'p'.repeat(9000)}`, '/?%zz']);
    const version = this.pick(['HTTP/1.1', 'HTTP/1.0', 'HTTP/0.9', 'HTTP/2.0', 'HTTP/1.x', 'HTTP/', '']);
    const rest = this.unary().toString('latin1');
    return Buffer.from(`${method} ${path} ${version}${rest.slice(rest.indexOf('\r\n'))}`, 'latin1');
  }

  /** Content-Length that lies, bodies truncated or oversized. */
  badLength(): Buffer {
    const head = this.unary().toString('latin1');
    const cut = head.lastIndexOf('Content-Length:');
    const body = this.pick([Buffer.from('{"n":1}\n'), Buffer.alloc(MAX_BODY + 1 + this.int(50_000), 0x61)]);
    const length = this.pick([
      String(body.length),
      String(body.length + 1 + this.int(100)),
      String(Math.max(0, body.length - 1 - this.int(8))),
      '-1',
      'abc',
      ' 5 ',
      '99999999999999999999',
      `${body.length}\r\nContent-Length: ${body.length + 3}`,
    ]);
    const cutAt = this.int(3) === 0 ? this.int(body.length) : body.length;
    return Buffer.concat([
      Buffer.from(`${head.slice(0, cut)}Content-Length: ${length}\r\n\r\n`, 'latin1'),
      body.subarray(0, cutAt),
    ]);
  }

  /** Chunked bodies: valid (random splits), invalid sizes or framing; `endless` never ends. */
  chunked(): { bytes: Buffer; endless?: Buffer } {
    const stream = this.int(2) === 0 ? 'Micro-Stream: 1\r\n' : '';
    const head = this.unary()
      .toString('latin1')
      .replace(/Content-Length: \d+\r\n\r\n[\s\S]*$/, `${stream}Transfer-Encoding: chunked\r\n\r\n`);
    const body = '{"n":1}\n';
    const valid = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    const kind = this.int(4);
    if (kind === 0) return { bytes: Buffer.from(head + valid, 'latin1') };
    if (kind === 1)
      return {
        bytes: Buffer.from(head, 'latin1'),
        endless: Buffer.from('400\r\n' + 'a'.repeat(1024) + '\r\n'),
      };
    const broken = this.pick([
      'zz\r\nab\r\n0\r\n\r\n',
      '-1\r\n',
      'ffffffffffffffffff\r\n',
      '5\r\nabc\r\n0\r\n\r\n',
      '3;ext=1\r\nabc\r\n0\r\nTrailer: \xff\r\n\r\n',
      '3\nabc\n0\n\n',
      `${(MAX_BODY * 2).toString(16)}\r\n${'a'.repeat(MAX_BODY * 2)}\r\n0\r\n\r\n`,
    ]);
    const te =
      kind === 2
        ? head
        : head.replace('Transfer-Encoding: chunked', 'Content-Length: 3\r\nTransfer-Encoding: chunked');
    return { bytes: Buffer.from(te + broken, 'latin1') };
  }

  /** go-micro stream framing out of order: EOS first, data after EOS, errors, ids mixed, garbage. */
  streamDisorder(): Buffer[] {
    const messages = [...this.stream(), ...this.stream()];
    const eos = messages.at(-1)!;
    const kind = this.int(5);
    if (kind === 0) return [eos, ...messages];
    if (kind === 1) return [...messages, ...messages.slice(1)];
    if (kind === 2) return this.shuffle(messages);
    if (kind === 3) {
      const bad = goMicroRequest('Fuzz.Stream', '', {
        'Micro-Stream': '1',
        'Micro-Error': this.hostileValue(),
      });
      return [messages[0]!, bad, ...messages.slice(1)];
    }
    return [...messages, this.bytes(1 + this.int(200))];
  }

  /** Random edits: flips, inserts, deletions, duplications, CR/LF. */
  mutate(input: Buffer): Buffer {
    let bytes = Buffer.from(input);
    for (let edits = 1 + this.int(4); edits > 0; edits--) {
      const at = this.int(bytes.length + 1);
      const op = this.int(5);
      if (op === 0 && bytes.length > 0) bytes[Math.min(at, bytes.length - 1)] = this.int(256);
      else if (op === 1)
        bytes = Buffer.concat([bytes.subarray(0, at), this.bytes(1 + this.int(8)), bytes.subarray(at)]);
      else if (op === 2)
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + this.int(16))]);
      else if (op === 3)
        bytes = Buffer.concat([
          bytes.subarray(0, at),
          bytes.subarray(at, at + this.int(64)),
          bytes.subarray(at),
        ]);
      else
        bytes = Buffer.concat([
          bytes.subarray(0, at),
          Buffer.from(this.pick(['\r\n', '\r', '\n', '\r\n\r\n', ':'])),
          bytes.subarray(at),
        ]);
    }
    return bytes;
  }

  /** Splits `bytes` into a few writes, so the parsers see every boundary. */
  split(bytes: Buffer): Buffer[] {
    const parts: Buffer[] = [];
    let rest = bytes;
    for (let n = this.int(4); n > 0 && rest.length > 1; n--) {
      const at = 1 + this.int(rest.length - 1);
      parts.push(rest.subarray(0, at));
      rest = rest.subarray(at);
    }
    return [...parts, rest];
  }

  /** The next case. */
  next(): FuzzCase {
    const kinds = [
      'unary',
      'stream',
      'mutated',
      'headers',
      'request-line',
      'length',
      'chunked',
      'stream-disorder',
      'pipelined',
      'garbage',
      'truncated',
    ] as const;
    const kind = this.pick(kinds);
    let bytes: Buffer;
    let endless: Buffer | undefined;
    switch (kind) {
      case 'unary':
        bytes = this.unary();
        break;
      case 'stream':
        bytes = Buffer.concat(this.stream());
        break;
      case 'mutated':
        bytes = this.mutate(this.int(2) === 0 ? this.unary() : Buffer.concat(this.stream()));
        break;
      case 'headers':
        bytes = this.hostileHeaders();
        break;
      case 'request-line':
        bytes = this.requestLine();
        break;
      case 'length':
        bytes = this.badLength();
        break;
      case 'chunked':
        ({ bytes, endless } = this.chunked());
        break;
      case 'stream-disorder':
        bytes = Buffer.concat(this.streamDisorder());
        break;
      case 'pipelined':
        bytes = Buffer.concat(
          Array.from({ length: 2 + this.int(4) }, () => (this.int(3) ? this.unary() : this.hostileHeaders())),
        );
        break;
      case 'garbage':
        bytes = Buffer.concat([
          Buffer.from(this.pick(['POST ', 'GET ', 'PRI ', ''])),
          this.bytes(1 + this.int(300)),
        ]);
        break;
      default:
        bytes = this.unary();
        bytes = bytes.subarray(0, this.int(bytes.length));
    }
    return {
      label: kind,
      parts: this.split(bytes),
      endless,
      leave: this.pick(['destroy', 'end', 'wait'] as const),
    };
  }
}
