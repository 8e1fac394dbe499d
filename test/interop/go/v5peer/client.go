// Modes `call`, `stream` and `publish`: go-micro's own client (client.NewRequest + Call/Stream,
// client.NewMessage + Publish) with the peer's flags mapped onto go-micro call options.
//
// Bodies by Content-Type (--content-type, default go-micro's application/json):
//   - application/json, application/json-rpc (and any other type, which go-micro refuses itself): the
//     request is the --body/--send JSON as a json.RawMessage and the reply is decoded into one, so what
//     is printed is exactly the JSON the peer sent;
//   - application/protobuf, application/proto-rpc: the JSON is read with protojson into the endpoint's
//     proto request type and the reply's proto type is printed with protojson (proto3 JSON names, e.g.
//     remainingMs; empty fields omitted) — see protoTypes;
//   - application/octet-stream: the --body string's bytes as they are, the reply printed as a string.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"go-micro.dev/v5"
	"go-micro.dev/v5/client"
	raw "go-micro.dev/v5/codec/bytes"
	"go-micro.dev/v5/metadata"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	pb "nestmicro.test/interop/proto"
)

// body is one way of carrying a request and decoding replies for a Content-Type.
type body struct {
	request func(js string) (any, error)
	reply   func() any
	print   func(reply any) (json.RawMessage, error)
}

// protoTypes maps an endpoint's method (the part after ".") to its reply type; requests are always
// greeter.Request and unknown methods answer a greeter.Response.
func protoReply(endpoint string) proto.Message {
	method := endpoint[strings.LastIndex(endpoint, ".")+1:]
	switch method {
	case "Void":
		return new(pb.Empty)
	case "Metadata":
		return new(pb.MetaResponse)
	case "Deadline":
		return new(pb.DeadlineResponse)
	default:
		return new(pb.Response)
	}
}

func bodyFor(contentType, endpoint string) body {
	switch contentType {
	case "application/protobuf", "application/proto-rpc":
		return body{
			request: func(js string) (any, error) {
				req := new(pb.Request)
				if err := protojson.Unmarshal([]byte(js), req); err != nil {
					return nil, fmt.Errorf("body %s is not a greeter.Request: %w", js, err)
				}
				return req, nil
			},
			reply: func() any { return protoReply(endpoint) },
			print: func(reply any) (json.RawMessage, error) { return protojson.Marshal(reply.(proto.Message)) },
		}
	case "application/octet-stream":
		return body{
			request: func(s string) (any, error) { return &raw.Frame{Data: []byte(s)}, nil },
			reply:   func() any { return new(raw.Frame) },
			print:   func(reply any) (json.RawMessage, error) { return json.Marshal(string(reply.(*raw.Frame).Data)) },
		}
	default:
		return body{
			request: func(js string) (any, error) {
				if !json.Valid([]byte(js)) {
					return nil, fmt.Errorf("body %q is not JSON", js)
				}
				return json.RawMessage(js), nil
			},
			reply: func() any { return new(json.RawMessage) },
			print: func(reply any) (json.RawMessage, error) {
				if r := *reply.(*json.RawMessage); len(r) > 0 {
					return r, nil
				}
				return json.RawMessage("null"), nil
			},
		}
	}
}

// clientService is a service that is never started: only its client (and registry, broker) are used.
func clientService() micro.Service { return newService(micro.Name("go.v5peer.client")) }

func contentTypeOr(c client.Client, ct string) string {
	if ct == "" {
		return c.Options().ContentType
	}
	return ct
}

func call(args []string) error {
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	service := fs.String("service", "", "service name")
	endpoint := fs.String("endpoint", "", "endpoint, e.g. Greeter.Hello")
	js := fs.String("body", "{}", "request body as JSON")
	ct := fs.String("content-type", "", "Content-Type (default go-micro's application/json)")
	var mdFlags multi
	fs.Var(&mdFlags, "metadata", "key=value metadata (repeatable)")
	timeout := fs.Duration("timeout", 5*time.Second, "client.WithRequestTimeout")
	connTimeout := fs.Duration("conn-timeout", 0, "client.WithConnectionTimeout (0: go-micro's 5s)")
	retries := fs.Int("retries", -1, "client.WithRetries (-1: go-micro's default)")
	address := fs.String("address", "", "client.WithAddress: call this host:port, bypassing the selector")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *service == "" || *endpoint == "" {
		return fmt.Errorf("call: --service and --endpoint are required")
	}
	md, err := metadataFlag(mdFlags)
	if err != nil {
		return err
	}

	c := clientService().Client()
	contentType := contentTypeOr(c, *ct)
	b := bodyFor(contentType, *endpoint)
	reqBody, err := b.request(*js)
	if err != nil {
		return err
	}
	req := c.NewRequest(*service, *endpoint, reqBody, client.WithContentType(contentType))
	opts := []client.CallOption{client.WithRequestTimeout(*timeout)}
	if *connTimeout > 0 {
		opts = append(opts, client.WithConnectionTimeout(*connTimeout))
	}
	if *retries >= 0 {
		opts = append(opts, client.WithRetries(*retries))
	}
	if *address != "" {
		opts = append(opts, client.WithAddress(*address))
	}
	ctx := metadata.NewContext(context.Background(), md)

	rsp := b.reply()
	start := time.Now()
	err = c.Call(ctx, req, rsp, opts...)
	ms := millis(time.Since(start))
	if err != nil {
		emit(map[string]any{"ok": false, "error": errorJSON(err), "raw": err.Error(), "ms": ms})
		return nil
	}
	out, err := b.print(rsp)
	if err != nil {
		return err
	}
	emit(map[string]any{"ok": true, "body": out, "ms": ms})
	return nil
}

// stream opens client.Stream. Like protoc-gen-micro's generated clients it opens the stream with a
// placeholder first message (go-micro's server discards the body of a stream's first message), then
// Sends every --send message. Replies are read until io.EOF (the server's EOS), an error, --recv
// replies (then Close() ends the client's side, as a Go client of a bidi stream does), or --timeout.
// go-micro's own deadline for a stream is --stream-timeout (client.WithStreamTimeout): the client sends
// it as the Timeout header and never enforces it itself; the server ends the stream when it passes.
// go-micro's stream client has no CloseSend ("streamer not implemented"): --close-after-send calls
// Close() after the sends, which sends EOS and shuts the stream down, so every later Recv fails with
// "connection is shut down" and replies sent after it are never read.
func stream(args []string) error {
	fs := flag.NewFlagSet("stream", flag.ContinueOnError)
	service := fs.String("service", "", "service name")
	endpoint := fs.String("endpoint", "", "endpoint, e.g. Greeter.Bidi")
	var sends multi
	fs.Var(&sends, "send", "message to send, as JSON (repeatable)")
	closeAfterSend := fs.Bool("close-after-send", false, "call stream.Close() after the sends")
	recvMax := fs.Int("recv", 0, "stop after this many replies and Close() (0: read until the stream ends)")
	timeout := fs.Duration("timeout", 10*time.Second, "give up (exit) when the stream has not ended by then")
	streamTimeout := fs.Duration("stream-timeout", 0, "client.WithStreamTimeout: sent as the Timeout header, enforced by the server")
	ct := fs.String("content-type", "", "Content-Type (default go-micro's application/json)")
	var mdFlags multi
	fs.Var(&mdFlags, "metadata", "key=value metadata (repeatable)")
	address := fs.String("address", "", "client.WithAddress")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *service == "" || *endpoint == "" {
		return fmt.Errorf("stream: --service and --endpoint are required")
	}
	md, err := metadataFlag(mdFlags)
	if err != nil {
		return err
	}

	c := clientService().Client()
	contentType := contentTypeOr(c, *ct)
	b := bodyFor(contentType, *endpoint)
	msgs := make([]any, 0, len(sends))
	for _, s := range sends {
		m, err := b.request(s)
		if err != nil {
			return err
		}
		msgs = append(msgs, m)
	}
	placeholder, _ := b.request("{}")

	start := time.Now()
	var ended sync.Once
	end := func(fields map[string]any) {
		ended.Do(func() {
			fields["event"] = "end"
			fields["ms"] = millis(time.Since(start))
			emit(fields)
		})
	}
	go func() {
		time.Sleep(*timeout)
		end(map[string]any{"ok": false, "timeout": true, "error": map[string]any{
			"id": "v5peer.stream", "code": 408, "status": "Request Timeout",
			"detail": fmt.Sprintf("the stream did not end within %v", *timeout),
		}})
		os.Exit(3)
	}()

	ctx := metadata.NewContext(context.Background(), md)
	req := c.NewRequest(*service, *endpoint, placeholder, client.WithContentType(contentType), client.StreamingRequest())
	var opts []client.CallOption
	if *address != "" {
		opts = append(opts, client.WithAddress(*address))
	}
	if *streamTimeout > 0 {
		opts = append(opts, client.WithStreamTimeout(*streamTimeout))
	}
	st, err := c.Stream(ctx, req, opts...)
	if err != nil {
		end(map[string]any{"ok": false, "stage": "open", "error": errorJSON(err), "raw": err.Error()})
		return nil
	}
	for i, m := range msgs {
		if err := st.Send(m); err != nil {
			end(map[string]any{"ok": false, "stage": "send", "error": errorJSON(err), "raw": err.Error()})
			return nil
		}
		emit(map[string]any{"event": "sent", "index": i})
	}
	if *closeAfterSend {
		err := st.Close()
		emit(map[string]any{"event": "closed", "ok": err == nil})
	}
	received := 0
	for {
		rsp := b.reply()
		err := st.Recv(rsp)
		if err == io.EOF {
			end(map[string]any{"ok": true, "reason": "eof", "received": received})
			return nil
		}
		if err != nil {
			end(map[string]any{"ok": false, "stage": "recv", "received": received, "error": errorJSON(err), "raw": err.Error()})
			return nil
		}
		out, err := b.print(rsp)
		if err != nil {
			return err
		}
		received++
		emit(map[string]any{"event": "recv", "body": out})
		if *recvMax > 0 && received >= *recvMax {
			err := st.Close()
			end(map[string]any{"ok": err == nil, "reason": "count", "received": received})
			return nil
		}
	}
}

// publish sends one message with go-micro's client (micro.NewEvent for the default Content-Type), or
// --count n of them, "%d" in --body replaced by each one's index (1..n).
// The http broker POSTs to the subscribers in a goroutine after Publish returned, so the process
// lingers (--linger, default 1s) before exiting; lingering is the only way to let the delivery go out.
func publish(args []string) error {
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	topic := fs.String("topic", "", "topic")
	js := fs.String("body", "{}", "message body as JSON")
	var mdFlags multi
	fs.Var(&mdFlags, "metadata", "key=value metadata (repeatable)")
	ct := fs.String("content-type", "", "Content-Type (default go-micro's application/json)")
	linger := fs.Duration("linger", time.Second, "wait this long after Publish for the async delivery")
	count := fs.Int("count", 1, "publish this many messages; %d in --body becomes each one's index (1..n)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *topic == "" {
		return fmt.Errorf("publish: --topic is required")
	}
	md, err := metadataFlag(mdFlags)
	if err != nil {
		return err
	}
	c := clientService().Client()
	contentType := contentTypeOr(c, *ct)
	ctx := metadata.NewContext(context.Background(), md)
	start := time.Now()
	for i := 1; i <= *count && err == nil; i++ {
		body := *js
		if *count > 1 {
			body = strings.ReplaceAll(body, "%d", fmt.Sprint(i))
		}
		var msg any
		if msg, err = bodyFor(contentType, "").request(body); err != nil {
			return err
		}
		if *ct == "" {
			err = micro.NewEvent(*topic, c).Publish(ctx, msg)
		} else {
			err = c.Publish(ctx, c.NewMessage(*topic, msg, client.WithMessageContentType(contentType)))
		}
	}
	ms := millis(time.Since(start))
	if err != nil {
		emit(map[string]any{"ok": false, "error": errorJSON(err), "raw": err.Error(), "ms": ms})
	} else {
		emit(map[string]any{"ok": true, "ms": ms})
	}
	time.Sleep(*linger)
	return nil
}
