package main

import (
	"context"
	"fmt"
	"os"

	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// tracing starts OpenTelemetry tracing into a file (--trace-file): one JSON
// span a line, for an operator's collector to pick up. It returns the
// tracer and the function that flushes and closes the file at exit.
func tracing(path string) (trace.Tracer, func(context.Context) error, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("--trace-file: %v", err)
	}
	exp, err := stdouttrace.New(stdouttrace.WithWriter(f))
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("--trace-file: %v", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	stop := func(ctx context.Context) error {
		err := tp.Shutdown(ctx)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	return tp.Tracer("github.com/probity-dev/probity"), stop, nil
}
