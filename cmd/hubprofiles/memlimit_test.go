package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// serve keeps its heap small by default (a soft limit, never a crash, and
// a lower GOGC), and an operator's GOMEMLIMIT and GOGC win over those
// defaults.
func TestMemoryDefaults(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	gcBefore := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetMemoryLimit(before); debug.SetGCPercent(gcBefore) })

	debug.SetMemoryLimit(math.MaxInt64)
	memoryDefaults(func(string) (string, bool) { return "", false })
	if got := debug.SetMemoryLimit(-1); got != defaultMemoryLimit {
		t.Errorf("without GOMEMLIMIT the limit is %d, want %d", got, defaultMemoryLimit)
	}
	if got := debug.SetGCPercent(100); got != defaultGCPercent {
		t.Errorf("without GOGC the GC percent is %d, want %d", got, defaultGCPercent)
	}

	debug.SetMemoryLimit(math.MaxInt64)
	memoryDefaults(func(k string) (string, bool) {
		v := map[string]string{"GOMEMLIMIT": "64MiB", "GOGC": "100"}[k]
		return v, v != ""
	})
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("with GOMEMLIMIT set the limit was changed to %d", got)
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set the GC percent was changed to %d", got)
	}
}
