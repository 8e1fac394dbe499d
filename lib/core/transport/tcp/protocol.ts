/**
 * The wire format of nest-micro's framed TCP transport ("nmf", version 1): constants and the
 * static header table. Everything else in lib/transport/tcp reads and writes what is described here.
 *
 * Connection: the client writes the 8-byte PREFACE (`00 4E 4D 46 0D 0A <version> 00`, "\0NMF\r\n"),
 * the server answers with the same PREFACE; each side then sends frames. The first byte 0x00 can
 * never start an HTTP request, so one port serves go-micro's HTTP and this protocol (see sniff.ts).
 *
 * Frame: `[uint32 length][uint8 type][uint32 id][payload: length bytes]`, big-endian. `id` is a
 * call or stream id chosen by the client (0 for connection-level frames). A frame whose length is
 * over the receiver's limit closes the connection.
 *
 *  type          id      payload
 *  REQUEST  1    call    message   client → server, one unary call
 *  REPLY    2    call    message   server → client, its answer
 *  OPEN     3    stream  message   client → server, opens a stream with its first message
 *  MESSAGE  4    stream  message   either way, the next message of a stream
 *  END      5    stream  —         either way, the sender's side of the stream is done
 *  RESET    6    id      JSON      either way: the call/stream failed; a MicroError's JSON (empty: cancelled)
 *  WINDOW   7    stream  uint32    either way: the receiver grants that many more payload bytes
 *  PING     8    0       8 bytes   either way; answered by PONG with the same bytes
 *  PONG     9    0       8 bytes
 *  GOAWAY  10    0       —         server → client: draining, send no new calls on this connection
 *
 * Message payload: `[uint16 count][count header entries][body: the rest]`. An entry starts with a
 * tag byte: 0 = literal `[uint8 keyLen][key][uint16 valueLen][value]`; 1..127 = key STATIC_KEYS[tag]
 * then `[uint16 valueLen][value]`; 128..255 = the whole pair STATIC_PAIRS[tag - 128]. Strings are UTF-8.
 *
 * Flow control (streams only): each side may send INITIAL_WINDOW payload bytes per stream (the
 * OPEN's included) before it needs WINDOW credit from the receiver; credit is granted as the
 * receiver's application consumes messages. Unary calls are not flow controlled.
 */
import { ERROR_ID } from '../../errors/ids.js';

export const VERSION = 1;
export const PREFACE: Buffer = Buffer.from([0x00, 0x4e, 0x4d, 0x46, 0x0d, 0x0a, VERSION, 0x00]);
export const FRAME_HEADER = 9;

export const T_REQUEST = 1;
export const T_REPLY = 2;
export const T_OPEN = 3;
export const T_MESSAGE = 4;
export const T_END = 5;
export const T_RESET = 6;
export const T_WINDOW = 7;
export const T_PING = 8;
export const T_PONG = 9;
export const T_GOAWAY = 10;

/** Per-stream credit each side starts with, in payload bytes. */
export const INITIAL_WINDOW = 64 * 1024;
/** Room for frame and header bytes on top of the largest body. */
export const HEADER_ROOM = 64 * 1024;
export const MAX_ID = 0xffffffff;

/** Error ids used by this transport's MicroErrors. */
export const CLIENT_ERROR_ID = ERROR_ID.clientTransport;
export const SERVER_ERROR_ID = ERROR_ID.serverTransport;

/** Index i+1 on the wire. Append only: reordering breaks version 1. */
export const STATIC_KEYS: readonly string[] = [
  'content-type',
  'accept',
  'timeout',
  'micro-id',
  'micro-service',
  'micro-endpoint',
  'micro-method',
  'micro-error',
  'micro-stream',
  'micro-topic',
  'micro-from-service',
  'traceparent',
  'tracestate',
  'authorization',
];

/** Index i+128 on the wire. Append only. */
export const STATIC_PAIRS: readonly (readonly [string, string])[] = [
  ['content-type', 'application/json'],
  ['content-type', 'application/protobuf'],
  ['content-type', 'application/octet-stream'],
  ['content-type', 'application/grpc+proto'],
  ['accept', 'application/json'],
  ['accept', 'application/protobuf'],
  ['micro-stream', 'true'],
];
