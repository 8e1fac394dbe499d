// The Greeter handler `serve` registers, the way go-micro's examples do (server.NewHandler on a struct:
// endpoints Greeter.Hello, Greeter.Void, ...). Stream methods take a server.Stream as the code
// protoc-gen-micro generates does. Its proto types (../proto) make it answer application/json
// (protojson), application/protobuf, application/json-rpc and application/proto-rpc alike.
//
// Stream replies go through send(): go-micro v5.30.0's server stream encodes every message into one
// reused buffer (server/rpc_codec.go Write: body = wbuf.Bytes()) and queues it for a writer goroutine,
// so messages sent back to back go out carrying the bytes of a later message (three sends arrive as
// three copies of the last one; a longer later message truncates an earlier one). send() encodes with
// go-micro's own codec for the request's Content-Type into a fresh buffer and sends that as a
// *bytes.Frame, which go-micro passes through untouched: the same bytes go-micro means to send.
// `serve --plain-stream-send` sends with stream.Send(msg) as a plain go-micro handler does.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"go-micro.dev/v5/codec"
	raw "go-micro.dev/v5/codec/bytes"
	"go-micro.dev/v5/errors"
	"go-micro.dev/v5/metadata"
	"go-micro.dev/v5/server"

	pb "nestmicro.test/interop/proto"
)

type Greeter struct {
	// plainSend: stream replies with stream.Send(msg) (go-micro's aliasing bug shows), not send().
	plainSend bool
}

// frameCodecs are the Content-Types whose codec encodes a message on its own; the -rpc codecs wrap
// replies in an envelope that needs the request's sequence state, so they take stream.Send(msg).
var frameCodecs = map[string]codec.NewCodec{
	"application/json":     server.DefaultCodecs["application/json"],
	"application/protobuf": server.DefaultCodecs["application/protobuf"],
}

type closeBuffer struct{ bytes.Buffer }

func (closeBuffer) Close() error { return nil }

func (g *Greeter) send(stream server.Stream, msg *pb.Response) error {
	newCodec, ok := frameCodecs[stream.Request().ContentType()]
	if g.plainSend || !ok {
		return stream.Send(msg)
	}
	var buf closeBuffer
	if err := newCodec(&buf).Write(&codec.Message{Type: codec.Response}, msg); err != nil {
		return err
	}
	return stream.Send(&raw.Frame{Data: buf.Bytes()})
}

// Hello answers "Hello <name>".
func (g *Greeter) Hello(ctx context.Context, req *pb.Request, rsp *pb.Response) error {
	rsp.Msg = "Hello " + req.Name
	return nil
}

// Void answers an empty message.
func (g *Greeter) Void(ctx context.Context, req *pb.Request, rsp *pb.Empty) error {
	return nil
}

// Fail always fails with a 409 whose detail is non-ASCII UTF-8.
func (g *Greeter) Fail(ctx context.Context, req *pb.Request, rsp *pb.Response) error {
	return errors.New("go.greeter.fail", "refusé: 5 € for "+req.Name, 409)
}

// Metadata answers the call's incoming metadata as go-micro's server sees it (transport headers
// included: Content-Type, Micro-*, Timeout, Local, Remote, ...).
func (g *Greeter) Metadata(ctx context.Context, req *pb.Request, rsp *pb.MetaResponse) error {
	md, _ := metadata.FromContext(ctx)
	rsp.Metadata = map[string]string{}
	for k, v := range md {
		rsp.Metadata[k] = v
	}
	return nil
}

// Deadline answers the milliseconds left until the handler context's deadline, -1 without one.
func (g *Greeter) Deadline(ctx context.Context, req *pb.Request, rsp *pb.DeadlineResponse) error {
	rsp.RemainingMs = -1
	if d, ok := ctx.Deadline(); ok {
		rsp.RemainingMs = int32(time.Until(d).Milliseconds())
	}
	return nil
}

// Sleep waits req.Count milliseconds, or fails with a 408 when the context ends first.
func (g *Greeter) Sleep(ctx context.Context, req *pb.Request, rsp *pb.Response) error {
	select {
	case <-time.After(time.Duration(req.Count) * time.Millisecond):
		rsp.Msg = "slept"
		return nil
	case <-ctx.Done():
		return errors.Timeout("go.greeter.sleep", "%v", ctx.Err())
	}
}

// ServerStream reads one request and sends req.Count responses "Hello <name> #<i>"; the name "fail"
// sends two, then fails with a 500.
func (g *Greeter) ServerStream(ctx context.Context, stream server.Stream) error {
	req := new(pb.Request)
	if err := stream.Recv(req); err != nil {
		return err
	}
	count := int(req.Count)
	if req.Name == "fail" {
		count = 2
	}
	for i := 1; i <= count; i++ {
		if err := g.send(stream, &pb.Response{Msg: fmt.Sprintf("Hello %s #%d", req.Name, i)}); err != nil {
			return err
		}
	}
	if req.Name == "fail" {
		return errors.New("go.greeter.stream", "stream broke: 5 €", 500)
	}
	return nil
}

// Bidi answers every request with "Hello <name>" until the client ends its side.
func (g *Greeter) Bidi(ctx context.Context, stream server.Stream) error {
	for {
		req := new(pb.Request)
		if err := stream.Recv(req); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if err := g.send(stream, &pb.Response{Msg: "Hello " + req.Name}); err != nil {
			return err
		}
	}
}

// Collect reads requests until the client ends its side, then sends one response: the names joined
// with ",".
func (g *Greeter) Collect(ctx context.Context, stream server.Stream) error {
	var names []string
	for {
		req := new(pb.Request)
		if err := stream.Recv(req); err == io.EOF {
			break
		} else if err != nil {
			return err
		}
		names = append(names, req.Name)
	}
	return g.send(stream, &pb.Response{Msg: strings.Join(names, ",")})
}
