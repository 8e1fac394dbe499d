// Tracing with go-micro's OpenTelemetry wrapper (wrapper/trace/opentelemetry) on the real Go OTel
// SDK, on when V5PEER_TRACE=1 (every mode): the client wrapper (a CLIENT span per call or stream,
// "Pub to" per publish), the handler and subscriber wrappers (SERVER spans), and the global W3C
// propagator (traceparent, tracestate, baggage) that carries the context in go-micro's metadata.
// Each span is printed when it ends (a synchronous exporter) as a JSON line:
//
//	{"event":"span","name","kind","traceId","spanId","parentSpanId","status"}
//
// (parentSpanId is "" for a root span).
package main

import (
	"context"
	"os"

	"go-micro.dev/v5"
	otelwrap "go-micro.dev/v5/wrapper/trace/opentelemetry"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// tracingOptions installs the SDK and returns the wrappers when V5PEER_TRACE=1, nothing otherwise.
func tracingOptions() []micro.Option {
	if os.Getenv("V5PEER_TRACE") != "1" {
		return nil
	}
	provider := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spanLines{}))
	otel.SetTracerProvider(provider)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(
		propagation.TraceContext{}, propagation.Baggage{},
	))
	return []micro.Option{
		micro.WrapClient(otelwrap.NewClientWrapper()),
		micro.WrapHandler(otelwrap.NewHandlerWrapper()),
		micro.WrapSubscriber(otelwrap.NewSubscriberWrapper()),
	}
}

// spanLines exports each ended span as one JSON line on stdout.
type spanLines struct{}

func (spanLines) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	for _, s := range spans {
		parent := ""
		if s.Parent().IsValid() {
			parent = s.Parent().SpanID().String()
		}
		emit(map[string]any{
			"event":        "span",
			"name":         s.Name(),
			"kind":         s.SpanKind().String(),
			"traceId":      s.SpanContext().TraceID().String(),
			"spanId":       s.SpanContext().SpanID().String(),
			"parentSpanId": parent,
			"status":       s.Status().Code.String(),
		})
	}
	return nil
}

func (spanLines) Shutdown(context.Context) error { return nil }
