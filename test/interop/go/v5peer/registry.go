// Modes `list`, `get` and `watch`: go-micro's registry itself (mdns, or consul by MICRO_REGISTRY),
// as the service's options hold it after Init. Services print as go-micro's registry.Service JSON
// ({name, version, metadata, endpoints, nodes}).
//
// mDNS answers within go-micro's 100 ms query timeout or not at all, so `list` and `get` take
// --wait d: query again (every 200 ms) until something is found or d has passed (0: one query).
package main

import (
	"flag"
	"fmt"
	"time"

	"go-micro.dev/v5/registry"
)

func list(args []string) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	wait := fs.Duration("wait", 0, "query again until a service is found or this has passed")
	if err := parse(fs, args); err != nil {
		return err
	}
	reg := clientService().Options().Registry
	services, err := poll(*wait, func() ([]*registry.Service, error) { return reg.ListServices() })
	if err != nil {
		emit(map[string]any{"ok": false, "error": errorJSON(err), "raw": err.Error()})
		return nil
	}
	names := []string{}
	for _, s := range services {
		names = append(names, s.Name)
	}
	emit(map[string]any{"ok": true, "services": names})
	return nil
}

func get(args []string) error {
	fs := flag.NewFlagSet("get", flag.ContinueOnError)
	name := fs.String("service", "", "service name")
	wait := fs.Duration("wait", 0, "query again until the service is found or this has passed")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *name == "" {
		return fmt.Errorf("get: --service is required")
	}
	reg := clientService().Options().Registry
	services, err := poll(*wait, func() ([]*registry.Service, error) { return reg.GetService(*name) })
	if err != nil && err != registry.ErrNotFound {
		emit(map[string]any{"ok": false, "error": errorJSON(err), "raw": err.Error()})
		return nil
	}
	if services == nil {
		services = []*registry.Service{}
	}
	emit(map[string]any{"ok": true, "services": services})
	return nil
}

func poll(wait time.Duration, query func() ([]*registry.Service, error)) ([]*registry.Service, error) {
	deadline := time.Now().Add(wait)
	for {
		services, err := query()
		if (err == nil && len(services) > 0) || (err != nil && err != registry.ErrNotFound) || time.Now().After(deadline) {
			return services, err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func watch(args []string) error {
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	name := fs.String("service", "", "watch this service only")
	if err := parse(fs, args); err != nil {
		return err
	}
	reg := clientService().Options().Registry
	var opts []registry.WatchOption
	if *name != "" {
		opts = append(opts, registry.WatchService(*name))
	}
	w, err := reg.Watch(opts...)
	if err != nil {
		return err
	}
	defer w.Stop()
	emit(map[string]any{"event": "watching"})
	for {
		res, err := w.Next()
		if err != nil {
			return err
		}
		emit(map[string]any{"action": res.Action, "service": res.Service})
	}
}
