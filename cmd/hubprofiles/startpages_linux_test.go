package main

import (
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
)

// exeResident is how many kB of the running binary's own mappings are
// resident (smaps: the Rss of each mapping of /proc/self/exe).
func exeResident(t *testing.T) int {
	t.Helper()
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	total, inExe := 0, false
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		switch {
		case len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":"):
			inExe = len(fields) >= 6 && fields[5] == exe
		case inExe && len(fields) == 3 && fields[0] == "Rss:":
			kb, _ := strconv.Atoi(fields[1])
			total += kb
		}
	}
	return total
}

// After start-up, serve gives back the binary's pages that start-up
// touched: what stays resident is what runs again.
func TestReleaseStartupPages(t *testing.T) {
	before := exeResident(t)
	releaseStartupPages(slog.New(slog.NewTextHandler(io.Discard, nil)))
	after := exeResident(t)
	t.Logf("resident pages of the binary: %d kB before, %d kB after", before, after)
	if before < 4096 {
		t.Fatalf("only %d kB of the binary are resident before: nothing to measure", before)
	}
	if after > before/2 {
		t.Errorf("%d kB of the binary are resident after releasing, %d kB before: want at most half", after, before)
	}
}
