// Command v5peer is a real go-micro program (go-micro.dev/v5 v5.30.0) for nest-micro's interop tests.
// The first argument picks a mode; every mode prints JSON lines (one object per line) on stdout and
// logs on stderr:
//
//	serve     [--name go.greeter] [--topic T]... [--queue Q] [--payload json|proto] [--debug-handler]
//	subscribe --topic T [--topic T2]... [--queue Q] [--name go.subscriber] [--payload json|proto]
//	call      --service S --endpoint E [--body JSON] [--content-type ct] [--metadata k=v]...
//	          [--timeout 5s] [--conn-timeout d] [--retries n] [--address host:port]
//	stream    --service S --endpoint E [--send JSON]... [--close-after-send] [--recv n] [--timeout 10s]
//	          [--content-type ct] [--metadata k=v]... [--address host:port]
//	publish   --topic T [--body JSON] [--metadata k=v]... [--content-type ct] [--linger 1s]
//	list      [--wait d]
//	get       --service S [--wait d]
//	watch     [--service S]
//	bench     --address host:port (load generator for npm run bench; see bench.go)
//
// V5PEER_TRACE=1 traces every mode with go-micro's OpenTelemetry wrapper and prints each span as a
// {"event":"span",...} line (tracing.go).
//
// go-micro is configured by its own environment variables only (MICRO_REGISTRY=mdns|consul,
// MICRO_REGISTRY_ADDRESS, MICRO_SERVER_ADDRESS, MICRO_BROKER_ADDRESS, ...): service.Init() parses
// os.Args with urfave/cli and exits on a flag it does not know, so main parses the peer's own flags
// first and leaves go-micro only the program name. Unset MICRO_SERVER_ADDRESS and MICRO_BROKER_ADDRESS
// default to 127.0.0.1:0 (go-micro's server default is ":0", every interface). Everything else keeps
// go-micro's defaults: http transport, http broker, application/json, its selector and registry cache.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"go-micro.dev/v5"
	"go-micro.dev/v5/errors"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: v5peer serve|subscribe|call|stream|publish|list|get|watch [flags]")
		os.Exit(2)
	}
	mode, args := os.Args[1], os.Args[2:]
	os.Args = os.Args[:1]
	for _, key := range []string{"MICRO_SERVER_ADDRESS", "MICRO_BROKER_ADDRESS"} {
		if os.Getenv(key) == "" {
			os.Setenv(key, "127.0.0.1:0")
		}
	}

	modes := map[string]func([]string) error{
		"serve":     serve,
		"subscribe": subscribe,
		"call":      call,
		"stream":    stream,
		"publish":   publish,
		"list":      list,
		"get":       get,
		"watch":     watch,
		"bench":     bench,
	}
	run, ok := modes[mode]
	if !ok {
		fmt.Fprintf(os.Stderr, "v5peer: unknown mode %q\n", mode)
		os.Exit(2)
	}
	if err := run(args); err != nil {
		emit(map[string]any{"event": "fatal", "error": err.Error()})
		os.Exit(1)
	}
}

var stdout sync.Mutex

// emit prints v as one JSON line on stdout (unbuffered: os.Stdout writes straight to the pipe).
func emit(v any) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(os.Stderr, "v5peer: cannot encode output: %v\n", err)
		return
	}
	stdout.Lock()
	defer stdout.Unlock()
	os.Stdout.WriteString(b.String())
}

// errorJSON is a go-micro error as {id, code, detail, status}; errors that are not go-micro JSON
// errors come back from errors.FromError with only detail set.
func errorJSON(err error) map[string]any {
	e := errors.FromError(err)
	return map[string]any{"id": e.Id, "code": e.Code, "detail": e.Detail, "status": e.Status}
}

// newService is micro.NewService(opts...) after Init(): go-micro reads its MICRO_* variables here.
// With V5PEER_TRACE=1 it is traced (tracing.go).
func newService(opts ...micro.Option) micro.Service {
	svc := micro.NewService(append(opts, tracingOptions()...)...)
	svc.Init()
	return svc
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// metadataFlag turns repeated k=v flags into go-micro metadata.
func metadataFlag(pairs multi) (map[string]string, error) {
	md := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--metadata %q: expected key=value", p)
		}
		md[k] = v
	}
	return md, nil
}

func parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(os.Stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected arguments %v", fs.Name(), fs.Args())
	}
	return nil
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
