//go:build !linux

package main

import "log/slog"

// releaseStartupPages is Linux only (startpages_linux.go).
func releaseStartupPages(*slog.Logger) {}
