package main

// Security tests of serve's listeners: the feed listener, which answers
// with no login, binds only where it is told (loopback by default), and the
// public one does not serve the feeds to anonymous requests.

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jupyterhub/hubprofiles/internal/proc"
)

var readyLine = regexp.MustCompile(`msg="hubprofiles is ready".*`)

// serveInProcess runs serve with args (outside dev mode, on an SQLite file
// in a temporary directory) until the test ends, and returns its ready
// log line and its log.
func serveInProcess(t *testing.T, env map[string]string, args ...string) (string, *proc.Buffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &proc.Buffer{}
	done := make(chan error, 1)
	args = append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir()}, args...)
	go func() { done <- run(ctx, args, func(k string) string { return env[k] }, &bytes.Buffer{}, logs) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v\n%s", err, logs.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if line := readyLine.FindString(logs.String()); line != "" {
			return line, logs
		}
		select {
		case err := <-done:
			done <- err
			t.Fatalf("serve exited before it was ready: %v\n%s", err, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve not ready after 60 s:\n%s", logs.String())
		}
	}
}

func attr(line, key string) string {
	m := regexp.MustCompile(`\b` + key + `=(\S+)`).FindStringSubmatch(line)
	if m == nil {
		return ""
	}
	return m[1]
}

func status(t *testing.T, url string) int {
	t.Helper()
	res, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestSecurityFeedListenerBindsOnlyWhereTold: the listener that serves the
// feeds with no login binds the address it is given and nothing else; by
// default a loopback address (the hub pod's own), and "off" binds none.
func TestSecurityFeedListenerBindsOnlyWhereTold(t *testing.T) {
	if !loopback(defaultFeedListen) {
		t.Errorf("the default --feed-listen %q is not a loopback address", defaultFeedListen)
	}

	line, logs := serveInProcess(t, nil, "--feed-listen", "127.0.0.1:0")
	feed, public := attr(line, "feed_listen"), attr(line, "listen")
	host, _, err := net.SplitHostPort(feed)
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("feed listener on %q (%v), want 127.0.0.1; %s", feed, err, line)
	}
	// Nothing is published: 503 from the feed listener, with no login;
	// the public listener wants a login first.
	if got := status(t, "http://"+feed+"/services/hubprofiles/profile_list"); got != http.StatusServiceUnavailable {
		t.Errorf("profile_list on the feed listener: %d, want 503 (nothing published) without login", got)
	}
	if got := status(t, "http://"+public+"/services/hubprofiles/profile_list"); got != http.StatusUnauthorized {
		t.Errorf("profile_list on the public listener: %d, want 401", got)
	}
	if strings.Contains(logs.String(), "non-loopback") {
		t.Errorf("a loopback feed listener was warned about:\n%s", logs.String())
	}

	// Told to bind every interface, it does, and says so loudly.
	line, logs = serveInProcess(t, nil, "--feed-listen", "0.0.0.0:0")
	if host, _, _ := net.SplitHostPort(attr(line, "feed_listen")); !net.ParseIP(host).IsUnspecified() {
		t.Errorf("feed listener on %q, want every interface as told", attr(line, "feed_listen"))
	}
	if !strings.Contains(logs.String(), "non-loopback") {
		t.Errorf("no warning for a feed listener on every interface:\n%s", logs.String())
	}

	// Off, from the environment: no feed listener at all.
	line, _ = serveInProcess(t, map[string]string{"HUBPROFILES_FEED_LISTEN": "off"})
	if strings.Contains(line, "feed_listen") {
		t.Errorf("HUBPROFILES_FEED_LISTEN=off still started a feed listener: %s", line)
	}

	// The feed listener cannot share the public listener's address.
	code, _, stderr := runCmd(t, nil, "serve", "--listen", "127.0.0.1:10199", "--feed-listen", "127.0.0.1:10199", "--data-dir", t.TempDir())
	if code != 2 || !strings.Contains(stderr, "--feed-listen") {
		t.Errorf("the same address twice: exit %d, %s", code, stderr)
	}
}
