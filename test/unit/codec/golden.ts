/**
 * Golden byte vectors for the codec tests, written out by hand from go-micro's formats (Go's
 * json.Encoder output; protobuf wire format of envelope.proto and greeter.proto), never produced by
 * the code under test. Each constant notes what its bytes spell. Also `catchError` for the 4xx paths.
 */
export const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

// {"name":"John"}\n
export const JSON_REQUEST = hex('7b226e616d65223a224a6f686e227d 0a');
// {"msg":"\u003ca\u0026b\u003e"}\n — Go escapes <, & and > in strings.
export const JSON_HTML = hex('7b226d7367223a225c7530303363615c7530303236625c7530303365227d 0a');

// {"params":[{"name":"John"}],"id":"1","method":"Greeter.Hello"}\n
export const JSONRPC_REQUEST = hex(
  '7b22706172616d73223a5b7b226e616d65223a224a6f686e227d5d2c226964223a2231222c226d6574686f64223a' +
    '22477265657465722e48656c6c6f227d 0a',
);
// {"id":"1","result":{"msg":"Hello John"},"error":null}\n
export const JSONRPC_RESPONSE = hex(
  '7b226964223a2231222c22726573756c74223a7b226d7367223a2248656c6c6f204a6f686e227d2c226572726f72223a6e756c6c7d 0a',
);
// {"id":"1","result":null,"error":"boom"}\n
export const JSONRPC_ERROR = hex(
  '7b226964223a2231222c22726573756c74223a6e756c6c2c226572726f72223a22626f6f6d227d 0a',
);

// greeter.Request{name:"John"}: field 1, wire type 2 (0x0a), length 4, "John".
export const PB_REQUEST = hex('0a 04 4a6f686e');
// greeter.Response{msg:"Hello John"}: 0x0a, length 10, "Hello John".
export const PB_RESPONSE = hex('0a 0a 48656c6c6f204a6f686e');

// protorpc.Request{service_method:"Greeter.Hello", seq:1}: 0x0a len 13 "Greeter.Hello", then field 2
// fixed64 (0x11) as 8 little-endian bytes. 24 bytes in all.
const ENVELOPE_1 = '0a 0d 477265657465722e48656c6c6f 11 0100000000000000';
export const PROTORPC_REQUEST = hex(`00000018 ${ENVELOPE_1} 00000006 0a044a6f686e`);
// protorpc.Response{service_method, seq:1} has the same bytes (no error field), then the body frame.
export const PROTORPC_RESPONSE = hex(`00000018 ${ENVELOPE_1} 0000000c 0a0a48656c6c6f204a6f686e`);
// protorpc.Response{..., error:"boom"}: field 3 (0x1a) len 4 "boom"; 30 bytes; then an empty body frame.
export const PROTORPC_ERROR = hex(`0000001e ${ENVELOPE_1} 1a04626f6f6d 00000000`);

/** What `fn` throws (fails the test when it does not throw). */
export function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
