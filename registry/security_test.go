package registry_test

// Security tests of issue 11, item 6: image checks must not become a
// scanner of the sidecar's network. An editor picks the image references;
// only registries the operator listed may be on non-public addresses.

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jupyterhub/hubprofiles/internal/testregistry"
	"github.com/jupyterhub/hubprofiles/registry"
)

// recorder is a TCP listener on loopback that counts the connections it
// accepts, to prove that none was made.
func recorder(t *testing.T) (addr string, accepted *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted = &atomic.Int64{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String(), accepted
}

func refusal(host string) string {
	return "registry address not allowed: " + host + " resolves to a non-public address; list it under registries: in the infrastructure config"
}

// TestSecurityListedLoopbackRegistryIsChecked: an on-premise registry the
// operator listed under registries: is checked even on loopback.
func TestSecurityListedLoopbackRegistryIsChecked(t *testing.T) {
	h := testregistry.Shared(t).Host
	testregistry.Push(t, h, "onprem/app", "1.0")
	c := newChecker(t, registry.Options{}, h)
	ref := h + "/onprem/app:1.0"
	want(t, c.Recheck(context.Background(), ref), ref, registry.Exists, "")
}

// TestSecurityUnlistedNonPublicAddressIsRefused: an image on an unlisted
// loopback port, the metadata service, a private or link-local address, or
// a name resolving to loopback, is refused before any connection, with the
// same words whether something listens there or not.
func TestSecurityUnlistedNonPublicAddressIsRefused(t *testing.T) {
	listening, accepted := recorder(t)
	stopped := testregistry.Stopped(t)
	_, port, _ := net.SplitHostPort(listening)
	listed := testregistry.Shared(t).Host
	// Listing one loopback registry lists no other port of loopback.
	c := newChecker(t, registry.Options{Timeout: 3 * time.Second}, listed)
	ctx := context.Background()
	for _, tt := range []struct{ ref, host string }{
		{listening + "/x/y:1", "127.0.0.1"},
		{stopped + "/x/y:1", "127.0.0.1"},
		{"localhost:" + port + "/x/y:1", "localhost"},
		{"[::1]:" + port + "/x/y:1", "::1"},
		{"169.254.169.254/latest/meta-data:1", "169.254.169.254"},
		{"10.0.0.1:5000/x/y:1", "10.0.0.1"},
		{"192.168.1.1/x/y:1", "192.168.1.1"},
		{"[fd00::1]:5000/x/y:1", "fd00::1"},
		{"0.0.0.0:" + port + "/x/y:1", "0.0.0.0"},
	} {
		start := time.Now()
		got := c.Recheck(ctx, tt.ref)
		if got.Status != registry.NotAllowed || got.Message != refusal(tt.host) {
			t.Errorf("%s: %s %q, want not_allowed %q", tt.ref, got.Status, got.Message, refusal(tt.host))
		}
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("%s took %v: it waited for a connection", tt.ref, el)
		}
		if _, err := c.Tags(ctx, tt.ref); err == nil || err.Error() != refusal(tt.host) {
			t.Errorf("%s: Tags error %v, want %q", tt.ref, err, refusal(tt.host))
		}
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("the unlisted listener accepted %d connections", n)
	}
}

// TestSecurityRedirectToNonPublicAddressIsRefused: a listed registry that
// redirects (as registries do for blobs) to an unlisted loopback port does
// not get the sidecar to connect there; the rule holds per connection.
func TestSecurityRedirectToNonPublicAddressIsRefused(t *testing.T) {
	target, accepted := recorder(t)
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			w.WriteHeader(http.StatusOK)
			return
		}
		http.Redirect(w, r, "http://"+target+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(reg.Close)
	listed := strings.TrimPrefix(reg.URL, "http://")
	c := newChecker(t, registry.Options{Timeout: 3 * time.Second}, listed)
	ref := listed + "/x/y:1"
	got := c.Recheck(context.Background(), ref)
	if got.Status != registry.NotAllowed || got.Message != refusal("127.0.0.1") {
		t.Errorf("a redirect to %s: %s %q", target, got.Status, got.Message)
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("the redirect target accepted %d connections", n)
	}
}

// TestSecurityNonPublicRangesAreRecognized: every kind of address the rule
// names, also in IPv6 disguises, is non-public; ordinary public addresses
// are not caught.
func TestSecurityNonPublicRangesAreRecognized(t *testing.T) {
	for a, public := range map[string]bool{
		"127.0.0.1": false, "127.8.9.10": false, "::1": false, // loopback
		"169.254.169.254": false, "fe80::1": false, // link-local
		"10.1.2.3": false, "172.16.0.1": false, "192.168.0.1": false, "fd12::1": false, "fc00::1": false, // private
		"0.0.0.0": false, "::": false, "0.1.2.3": false, // unspecified, "this network"
		"224.0.0.1": false, "ff02::1": false, "ff01::1": false, // multicast
		"100.64.0.1": false, "198.18.0.1": false, "255.255.255.255": false, // CGNAT, benchmarking, reserved
		"::ffff:10.0.0.1": false, "64:ff9b::a9fe:a9fe": false, // IPv4-mapped, NAT64 of 169.254.169.254
		"8.8.8.8": true, "140.82.112.3": true, "2606:4700::1111": true, "64:ff9b::808:808": true,
	} {
		if got := registry.Public(netip.MustParseAddr(a)); got != public {
			t.Errorf("Public(%s) = %v, want %v", a, got, public)
		}
	}
}
