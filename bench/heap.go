package bench

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

// heapSampleEvery is how often the heap is sampled while a scenario runs.
const heapSampleEvery = 20 * time.Millisecond

// heapMetrics add up to the heap in use (runtime.MemStats.HeapInuse): live
// and not yet swept objects, and the free space of the spans holding them.
var heapMetrics = []string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes"}

// heapPeak is the largest heap in use seen while measured code ran, over
// every run it measured. The zero value is ready to use.
type heapPeak struct {
	mu   sync.Mutex
	peak uint64
}

// measure runs fn, sampling the heap every heapSampleEvery meanwhile, and
// returns fn's error. Reading runtime/metrics does not stop the world, so
// the sampling barely disturbs what it measures.
func (h *heapPeak) measure(fn func() error) error {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		samples := newHeapSamples()
		t := time.NewTicker(heapSampleEvery)
		defer t.Stop()
		for {
			h.observe(samples.read())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	err := fn()
	close(done)
	wg.Wait()
	h.observe(newHeapSamples().read())
	return err
}

func (h *heapPeak) observe(bytes uint64) {
	h.mu.Lock()
	h.peak = max(h.peak, bytes)
	h.mu.Unlock()
}

// MB returns the peak in MiB.
func (h *heapPeak) MB() float64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return float64(h.peak) / (1 << 20)
}

type heapSamples []metrics.Sample

func newHeapSamples() heapSamples {
	s := make(heapSamples, len(heapMetrics))
	for i, name := range heapMetrics {
		s[i].Name = name
	}
	return s
}

func (s heapSamples) read() uint64 {
	metrics.Read(s)
	var sum uint64
	for _, x := range s {
		if x.Value.Kind() == metrics.KindUint64 {
			sum += x.Value.Uint64()
		}
	}
	return sum
}

// collect runs the garbage collector, so that a scenario's peak does not
// hold the garbage of the one before.
func collect() { runtime.GC() }
