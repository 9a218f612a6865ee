package sqlite_test

import (
	"testing"

	"github.com/probity-dev/probity/storetest"
)

// BenchmarkInsertEvents is the raw insert limit of the embedded store.
func BenchmarkInsertEvents(b *testing.B) { storetest.BenchInsertEvents(b, openSQLite) }
