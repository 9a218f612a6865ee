package http

import (
	"net/http"
	"time"

	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// traceRequest starts the request's span, a child of the caller's W3C
// traceparent if it sent one, and returns the function that ends it with
// the route pattern (never the path), the status and the request's id.
func (s *Server) traceRequest(r *http.Request) (*http.Request, func(route string, status int, took time.Duration)) {
	if s.Tracer == nil {
		return r, func(string, int, time.Duration) {}
	}
	ctx := propagation.TraceContext{}.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := s.Tracer.Start(ctx, "HTTP "+r.Method, trace.WithSpanKind(trace.SpanKindServer))
	return r.WithContext(ctx), func(route string, status int, took time.Duration) {
		span.SetName(route)
		span.SetAttributes(attribute.String("http.request.method", r.Method), attribute.String("http.route", route),
			attribute.Int("http.response.status_code", status), attribute.String("probity.request_id", RequestID(r.Context())))
		if status >= 500 {
			span.SetStatus(otelcodes.Error, http.StatusText(status))
		}
		span.End()
	}
}
