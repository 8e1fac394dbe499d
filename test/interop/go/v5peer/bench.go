// Mode `bench`: the closed-loop load generator of nest-micro's speed harness (bench/load.ts), written
// with go-micro's own client the way a Go service calls another: client.NewRequest + Call with the
// generated greeter types on go-micro's default Content-Type (application/json), to --address.
// For each level of BENCH_LEVELS: `concurrency` goroutines each send the next Greeter.Hello as soon
// as the previous one answered; BENCH_WARMUP_MS of warm-up, then BENCH_DURATION_MS measured. Prints
// `RESULT {json}` per level in bench/load.ts's shape (latencies in µs, window start/end in epoch ms,
// and the process's own CPU seconds over the window), then DONE.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go-micro.dev/v5/client"

	pb "nestmicro.test/interop/proto"
)

type levelResult struct {
	Concurrency int     `json:"concurrency"`
	Requests    int     `json:"requests"`
	Errors      int64   `json:"errors"`
	FirstError  string  `json:"firstError,omitempty"`
	Seconds     float64 `json:"seconds"`
	Rps         float64 `json:"rps"`
	P50         int64   `json:"p50"`
	P99         int64   `json:"p99"`
	Max         int64   `json:"max"`
	WindowStart int64   `json:"windowStart"`
	WindowEnd   int64   `json:"windowEnd"`
	ClientCPU   float64 `json:"clientCpu"`
}

func envInt(key string, fallback int) int {
	if v, err := strconv.Atoi(os.Getenv(key)); err == nil {
		return v
	}
	return fallback
}

// cpuSeconds is the user+system CPU time this process has used.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func bench(args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	address := fs.String("address", "", "host:port of the greeter (client.WithAddress)")
	service := fs.String("service", "go.greeter", "service name in the request")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *address == "" {
		return fmt.Errorf("bench: --address is required")
	}
	var levels []int
	for _, s := range strings.Split(os.Getenv("BENCH_LEVELS"), ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n > 0 {
			levels = append(levels, n)
		}
	}
	if len(levels) == 0 {
		levels = []int{1, 16, 128}
	}
	warmup := time.Duration(envInt("BENCH_WARMUP_MS", 2000)) * time.Millisecond
	duration := time.Duration(envInt("BENCH_DURATION_MS", 10000)) * time.Millisecond

	newCaller := func() func() error {
		c := clientService().Client()
		return func() error {
			req := c.NewRequest(*service, "Greeter.Hello", &pb.Request{Name: "John"})
			rsp := new(pb.Response)
			if err := c.Call(context.Background(), req, rsp, client.WithAddress(*address), client.WithRetries(0)); err != nil {
				return err
			}
			if rsp.Msg != "Hello John" {
				return fmt.Errorf("unexpected reply %q", rsp.Msg)
			}
			return nil
		}
	}
	if err := newCaller()(); err != nil {
		return fmt.Errorf("first call: %w", err)
	}
	for _, concurrency := range levels {
		out, _ := json.Marshal(runLevel(newCaller(), concurrency, warmup, duration))
		fmt.Printf("RESULT %s\n", out)
	}
	fmt.Println("DONE")
	return nil
}

func runLevel(callOnce func() error, concurrency int, warmup, duration time.Duration) levelResult {
	var measuring, stopped atomic.Bool
	var errors atomic.Int64
	var firstError atomic.Value
	latencies := make([][]int64, concurrency)
	var wg sync.WaitGroup
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for !stopped.Load() {
				start := time.Now()
				err := callOnce()
				if !measuring.Load() || stopped.Load() {
					continue
				}
				if err != nil {
					errors.Add(1)
					firstError.CompareAndSwap(nil, err.Error())
					continue
				}
				latencies[w] = append(latencies[w], max(1, time.Since(start).Microseconds()))
			}
		}(w)
	}
	time.Sleep(warmup)
	measuring.Store(true)
	cpu0, started := cpuSeconds(), time.Now()
	time.Sleep(duration)
	stopped.Store(true)
	cpu1, ended := cpuSeconds(), time.Now()
	wg.Wait()

	var all []int64
	for _, l := range latencies {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	seconds := ended.Sub(started).Seconds()
	r := levelResult{
		Concurrency: concurrency, Requests: len(all), Errors: errors.Load(), Seconds: seconds,
		Rps: float64(len(all)) / seconds, WindowStart: started.UnixMilli(), WindowEnd: ended.UnixMilli(),
		ClientCPU: (cpu1 - cpu0) / seconds,
	}
	if s, ok := firstError.Load().(string); ok {
		r.FirstError = s
	}
	if n := len(all); n > 0 {
		r.P50, r.P99, r.Max = all[n*50/100], all[min(n-1, n*99/100)], all[n-1]
	}
	return r
}
