package postgres_test

import (
	"testing"

	"github.com/probity-dev/probity/storetest"
)

// BenchmarkInsertEvents is the raw insert limit of the shared store, through COPY.
func BenchmarkInsertEvents(b *testing.B) { storetest.BenchInsertEvents(b, openPostgres) }
