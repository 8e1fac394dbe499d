/**
 * MicroError: go-micro's error model ({id, code, detail, status}) as a typed exception, a plain
 * Error subclass that serialises to exactly the JSON go-micro writes in the `Micro-Error` header.
 * The Nest layer maps it to and from Nest's exceptions (lib/nest/errors.ts).
 */

export interface MicroErrorJson {
  id: string;
  code: number;
  detail: string;
  status: string;
  /** Our extension: the caller may safely retry this call on another node (e.g. a draining server). */
  retryable?: boolean;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export function statusText(code: number): string {
  return STATUS_TEXT[code] ?? (code >= 500 ? 'Internal Server Error' : 'Error');
}

export class MicroError extends Error {
  readonly id: string;
  readonly code: number;
  readonly detail: string;
  readonly status: string;
  readonly retryable: boolean;

  constructor(id: string, detail: string, code: number, status = statusText(code), retryable = false) {
    super(detail);
    this.name = 'MicroError';
    this.id = id;
    this.code = code;
    this.detail = detail;
    this.status = status;
    this.retryable = retryable;
  }

  static badRequest(id: string, detail: string): MicroError {
    return new MicroError(id, detail, 400);
  }
  static unauthorized(id: string, detail: string): MicroError {
    return new MicroError(id, detail, 401);
  }
  static forbidden(id: string, detail: string): MicroError {
    return new MicroError(id, detail, 403);
  }
  static notFound(id: string, detail: string): MicroError {
    return new MicroError(id, detail, 404);
  }
  static methodNotAllowed(id: string, detail: string): MicroError {
    return new MicroError(id, detail, 405);
  }
  static timeout(id: string, detail: string): MicroError {
    return new MicroError(id, detail, 408);
  }
  static conflict(id: string, detail: string): MicroError {
    return new MicroError(id, detail, 409);
  }
  static payloadTooLarge(id: string, detail: string): MicroError {
    return new MicroError(id, detail, 413);
  }
  static unsupportedMediaType(id: string, detail: string): MicroError {
    return new MicroError(id, detail, 415);
  }
  static internalServerError(id: string, detail: string): MicroError {
    return new MicroError(id, detail, 500);
  }
  /** A transport-level failure (refused, reset, closed): the request may not have been handled. */
  static unavailable(id: string, detail: string, retryable = true): MicroError {
    return new MicroError(id, detail, 503, statusText(503), retryable);
  }

  toJSON(): MicroErrorJson {
    const json: MicroErrorJson = { id: this.id, code: this.code, detail: this.detail, status: this.status };
    if (this.retryable) json.retryable = true;
    return json;
  }

  /** The `Micro-Error` header value: go-micro's JSON form. */
  override toString(): string {
    return JSON.stringify(this.toJSON());
  }

  /** go-micro's errors.Parse: JSON becomes the error; any other text becomes the detail of a 500. */
  static parse(text: string, fallbackId = ''): MicroError {
    try {
      const parsed: unknown = JSON.parse(text);
      const rebuilt = MicroError.fromObject(parsed);
      if (rebuilt) return rebuilt;
    } catch {
      /* not JSON: fall through */
    }
    return new MicroError(fallbackId, text, 500);
  }

  /** Rebuilds a MicroError from anything shaped like one ({id, code, detail, status}). */
  static fromObject(value: unknown): MicroError | undefined {
    if (typeof value !== 'object' || value === null) return undefined;
    const v = value as Partial<MicroErrorJson>;
    if (typeof v.code !== 'number' && typeof v.detail !== 'string') return undefined;
    const code = typeof v.code === 'number' && v.code > 0 ? v.code : 500;
    return new MicroError(
      typeof v.id === 'string' ? v.id : '',
      typeof v.detail === 'string' ? v.detail : '',
      code,
      typeof v.status === 'string' && v.status ? v.status : statusText(code),
      v.retryable === true,
    );
  }

  static is(value: unknown): value is MicroError {
    return value instanceof MicroError;
  }
}
