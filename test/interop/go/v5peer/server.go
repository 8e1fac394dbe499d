// Modes `serve` (the Greeter handler, plus subscribers with --topic) and `subscribe` (subscribers
// only). Both print {"event":"ready",...} once go-micro's server has started, registered and
// subscribed (micro.AfterStart), and {"event":"stopped"} after SIGTERM/SIGINT deregistered it.
//
// Subscribers print {"event":"message","topic","queue","body","metadata"} for every message.
// --payload json (default): the handler takes *json.RawMessage, so any JSON value is accepted and
// printed as it was sent (go-micro's json codec decodes non-proto values with encoding/json);
// messages whose Content-Type is not JSON fail to decode (go-micro logs the error on stderr).
// --payload proto: the handler takes *greeter.Request (name, count), which go-micro decodes from
// application/json (protojson, unknown fields refused) and application/protobuf alike; the body is
// printed as protojson.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"go-micro.dev/v5"
	debug "go-micro.dev/v5/debug/handler"
	debugpb "go-micro.dev/v5/debug/proto"
	"go-micro.dev/v5/metadata"
	"go-micro.dev/v5/server"
	"google.golang.org/protobuf/encoding/protojson"

	pb "nestmicro.test/interop/proto"
)

// debugHandler: serve mode's --debug-handler.
var debugHandler bool

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	name := fs.String("name", "go.greeter", "service name")
	var topics multi
	fs.Var(&topics, "topic", "also subscribe to this topic (repeatable)")
	queue := fs.String("queue", "", "queue group of the subscribers")
	payload := fs.String("payload", "json", "subscriber payload type: json | proto")
	plain := fs.Bool("plain-stream-send", false, "stream replies with stream.Send(msg) (see greeter.go)")
	debug := fs.Bool("debug-handler", false, "also serve go-micro's Debug handler (Debug.Health, Debug.Stats, ...)")
	if err := parse(fs, args); err != nil {
		return err
	}
	debugHandler = *debug
	return runService(*name, &Greeter{plainSend: *plain}, topics, *queue, *payload)
}

func subscribe(args []string) error {
	fs := flag.NewFlagSet("subscribe", flag.ContinueOnError)
	name := fs.String("name", "go.subscriber", "service name")
	var topics multi
	fs.Var(&topics, "topic", "topic to subscribe to (repeatable, at least one)")
	queue := fs.String("queue", "", "queue group of the subscribers")
	payload := fs.String("payload", "json", "subscriber payload type: json | proto")
	if err := parse(fs, args); err != nil {
		return err
	}
	if len(topics) == 0 {
		return fmt.Errorf("subscribe: --topic is required")
	}
	return runService(*name, nil, topics, *queue, *payload)
}

func runService(name string, greeter *Greeter, topics multi, queue, payload string) error {
	var svc micro.Service
	svc = newService(
		micro.Name(name),
		micro.AfterStart(func() error {
			opts := svc.Server().Options()
			emit(map[string]any{
				"event":    "ready",
				"service":  opts.Name,
				"nodeId":   opts.Name + "-" + opts.Id,
				"address":  opts.Address,
				"broker":   svc.Options().Broker.Address(),
				"registry": svc.Options().Registry.String(),
			})
			return nil
		}),
	)
	if greeter != nil {
		if err := micro.RegisterHandler(svc.Server(), greeter); err != nil {
			return err
		}
	}
	if debugHandler {
		// go-micro v5 no longer registers its debug handler itself; a service that wants it does so
		if err := debugpb.RegisterDebugHandler(svc.Server(), debug.NewHandler(svc.Client())); err != nil {
			return err
		}
	}
	for _, topic := range topics {
		var opts []server.SubscriberOption
		if queue != "" {
			opts = append(opts, server.SubscriberQueue(queue))
		}
		var handler any
		switch payload {
		case "json":
			handler = jsonSubscriber(topic, queue)
		case "proto":
			handler = protoSubscriber(topic, queue)
		default:
			return fmt.Errorf("--payload %q: expected json or proto", payload)
		}
		if err := micro.RegisterSubscriber(topic, svc.Server(), handler, opts...); err != nil {
			return err
		}
	}
	if err := svc.Run(); err != nil {
		return err
	}
	emit(map[string]any{"event": "stopped"})
	return nil
}

func printMessage(ctx context.Context, topic, queue string, body json.RawMessage) {
	md, _ := metadata.FromContext(ctx)
	if len(body) == 0 {
		body = json.RawMessage("null")
	}
	emit(map[string]any{"event": "message", "topic": topic, "queue": queue, "body": body, "metadata": md})
}

func jsonSubscriber(topic, queue string) func(context.Context, *json.RawMessage) error {
	return func(ctx context.Context, msg *json.RawMessage) error {
		printMessage(ctx, topic, queue, *msg)
		return nil
	}
}

func protoSubscriber(topic, queue string) func(context.Context, *pb.Request) error {
	return func(ctx context.Context, msg *pb.Request) error {
		body, err := protojson.Marshal(msg)
		if err != nil {
			return err
		}
		printMessage(ctx, topic, queue, body)
		return nil
	}
}
