/**
 * HTTP/1.1 message parsing for go-micro's stream connections, where requests and responses are
 * not paired (so node:http cannot serve them). Uses llhttp, the parser inside Node, through its
 * `HTTPParser` binding (`_http_common`); `http-parser-js` implements the same interface and can be
 * dropped in by changing `loadParser`. Each complete message (pipelined ones included) is reported
 * with its headers (lower-case, as `fromHttpHeaders` makes them) and its whole body.
 */
import { createRequire } from 'node:module';
import type { IncomingHttpHeaders } from 'node:http';
import { MicroError } from '../../errors/micro-error.js';
import type { Header } from '../transport.js';
import { fromHttpHeaders, headerValueOut, HTTP_ONLY, isToken } from './http.headers.js';
import { ERROR_ID } from '../../errors/ids.js';

interface ParserBinding {
  initialize(type: number, resource: object, maxHeaderSize?: number, lenient?: number): void;
  execute(data: Buffer): number | Error;
  finish(): number | Error | undefined;
  close?(): void;
  [key: number]: unknown;
}

interface ParserClass {
  new (): ParserBinding;
  REQUEST: number;
  RESPONSE: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
}

function loadParser(): ParserClass {
  const require = createRequire(import.meta.url);
  return (require('_http_common') as { HTTPParser: ParserClass }).HTTPParser;
}

const HTTPParser = loadParser();

export interface Parsed {
  header: Header;
  body: Buffer;
  /** Requests: the method; responses: undefined. */
  method?: string;
  /** Responses: the status code; requests: undefined. */
  status?: number;
  /** The raw message declared more than the limit (its body was not kept). */
  tooLarge?: boolean;
}

const METHODS = ['DELETE', 'GET', 'HEAD', 'POST', 'PUT', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];
const ID = ERROR_ID.transportHttp;

export class Http1Parser {
  private readonly parser: ParserBinding;
  private raw: string[] = [];
  private chunks: Buffer[] = [];
  private size = 0;
  private current: Omit<Parsed, 'header' | 'body'> & { header?: Header } = {};
  private failed = false;
  private executing = false;
  private closed = false;

  constructor(
    kind: 'request' | 'response',
    private readonly maxBody: number,
    private readonly onMessage: (message: Parsed) => void,
    /** Called when a message's headers are complete, before its body. */
    private readonly onHead?: (header: Header) => void,
  ) {
    const parser = new HTTPParser();
    parser.initialize(kind === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, 0, 0);
    parser[HTTPParser.kOnHeaders] = (headers: string[]) => this.raw.push(...headers);
    parser[HTTPParser.kOnHeadersComplete] = (
      _major: number,
      _minor: number,
      headers: string[] | undefined,
      method: number | undefined,
      _url: string | undefined,
      status: number | undefined,
    ): number => {
      if (headers) this.raw.push(...headers);
      const declared = Number(valueOf(this.raw, 'content-length') ?? 0);
      this.current = {
        header: this.headers(),
        method: method === undefined ? undefined : (METHODS[method] ?? String(method)),
        status,
        tooLarge: declared > this.maxBody,
      };
      this.raw = [];
      this.onHead?.(this.current.header!);
      return 0;
    };
    parser[HTTPParser.kOnBody] = (buf: Buffer, start?: number, length?: number) => {
      const chunk = start === undefined ? buf : buf.subarray(start, start + (length ?? 0));
      this.size += chunk.length;
      if (this.size > this.maxBody) this.current.tooLarge = true;
      if (!this.current.tooLarge) this.chunks.push(Buffer.from(chunk));
    };
    parser[HTTPParser.kOnMessageComplete] = () => this.complete();
    this.parser = parser;
  }

  /** Feeds bytes; returns a 400 MicroError once the input is not HTTP/1.1 (nothing more is parsed). */
  push(data: Buffer): MicroError | undefined {
    if (this.failed) return undefined;
    this.executing = true;
    let result: number | Error;
    try {
      result = this.parser.execute(data);
    } finally {
      this.executing = false;
    }
    if (this.failed) {
      this.close();
      return undefined;
    }
    if (result instanceof Error) {
      this.failed = true;
      const reason = (result as Error & { reason?: string }).reason ?? result.message;
      return MicroError.badRequest(ID, `malformed HTTP/1.1 message: ${reason}`);
    }
    return undefined;
  }

  /** Stops parsing; safe from inside a callback (the binding is freed once `execute` returns). */
  close(): void {
    this.failed = true;
    if (this.executing || this.closed) return;
    this.closed = true;
    this.parser.close?.();
  }

  private headers(): Header {
    const headers: IncomingHttpHeaders = {};
    for (let i = 0; i + 1 < this.raw.length; i += 2) {
      const key = this.raw[i]!.toLowerCase();
      const prior = headers[key];
      headers[key] = prior === undefined ? this.raw[i + 1]! : `${String(prior)}, ${this.raw[i + 1]!}`;
    }
    return fromHttpHeaders(headers);
  }

  private complete(): void {
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const message: Parsed = { ...this.current, header: this.current.header ?? {}, body };
    this.chunks = [];
    this.size = 0;
    this.current = {};
    this.onMessage(message);
  }
}

function valueOf(raw: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) return raw[i + 1];
  return undefined;
}

/**
 * Serialises one message as an HTTP/1.1 head (canonical header names) plus Content-Length, as a
 * Latin-1 string (values already UTF-8 bytes): write it with the 'latin1' encoding.
 */
export function head(
  startLine: string,
  header: Header,
  bodyLength: number,
  canonical: (k: string) => string,
): string {
  let out = `${startLine}\r\n`;
  for (const key of Object.keys(header)) {
    if (HTTP_ONLY.has(key) || !isToken(key)) continue;
    out += `${canonical(key)}: ${headerValueOut(header[key]!)}\r\n`;
  }
  return `${out}Content-Length: ${bodyLength}\r\n\r\n`;
}
