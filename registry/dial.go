package registry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"
)

// AddressError refuses a connection to a non-public address. Editors
// choose the images that are checked, so without this rule an image
// reference would make the sidecar connect anywhere its pod can reach (the
// cloud's metadata service, the hub's own ports, the cluster's services)
// and report what it found there. Its text is the same for every refused
// address: nothing is connected, so nothing about the address is told.
type AddressError struct{ Host string }

func (e *AddressError) Error() string {
	return fmt.Sprintf("registry address not allowed: %s resolves to a non-public address; list it under registries: in the infrastructure config", e.Host)
}

// addressGuard dials registries on public addresses only, unless the
// operator listed the host (an on-premise registry). It checks the address
// it connects to, after resolving the name itself, so a name cannot
// resolve to a public address for a check and to a private one for the
// connection.
type addressGuard struct {
	listed   map[string]bool // "host" (any port) and "host:port", lower case
	resolver *net.Resolver
	dialer   *net.Dialer

	mu      sync.Mutex
	proxies map[string]bool // proxies chosen by the environment, as host:port
}

func newAddressGuard(hosts []Host) *addressGuard {
	g := &addressGuard{listed: map[string]bool{}, resolver: net.DefaultResolver,
		dialer: &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}, proxies: map[string]bool{}}
	for _, h := range hosts {
		name := strings.ToLower(strings.TrimSpace(h.Name))
		if host, port, err := net.SplitHostPort(name); err == nil {
			g.listed[net.JoinHostPort(host, port)] = true
		} else {
			g.listed[strings.Trim(name, "[]")] = true
		}
	}
	return g
}

// transport is an HTTP transport whose every connection goes through the
// guard, including redirects (a registry sending blobs to a CDN) and the
// token endpoints that registries name in their auth challenges.
func (g *addressGuard) transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = g.dialContext
	t.Proxy = g.proxy
	return t
}

func (g *addressGuard) isListed(host, port string) bool {
	host = strings.ToLower(host)
	return g.listed[host] || g.listed[net.JoinHostPort(host, port)]
}

// dialContext connects to addr if it is listed, or if every address its
// name resolves to is public; then to those very addresses.
func (g *addressGuard) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	proxy := g.proxies[strings.ToLower(addr)]
	g.mu.Unlock()
	if proxy || g.isListed(host, port) {
		return g.dialer.DialContext(ctx, network, addr)
	}
	addrs, err := g.resolve(ctx, host, port)
	if err != nil {
		return nil, err
	}
	var first error
	for _, a := range addrs {
		c, err := g.dialer.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// resolve returns the addresses of host, or an AddressError if any of them
// is not public (a name that resolves to both is refused as a whole).
func (g *addressGuard) resolve(ctx context.Context, host, port string) ([]netip.Addr, error) {
	if g.isListed(host, port) {
		return nil, nil
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		addrs = []netip.Addr{a}
	} else {
		addrs, err = g.resolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, err
		}
	}
	if len(addrs) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	for _, a := range addrs {
		if !Public(a) {
			return nil, &AddressError{Host: host}
		}
	}
	return addrs, nil
}

// proxy honours HTTPS_PROXY and friends: the proxy itself may be on a
// private address (it is the operator's), but the registry behind it must
// still pass the rule. The proxy resolves the name again, so through a
// proxy the rule is checked on the name, not on the connection.
func (g *addressGuard) proxy(req *http.Request) (*url.URL, error) {
	u, err := http.ProxyFromEnvironment(req)
	if err != nil || u == nil {
		return u, err
	}
	port := req.URL.Port()
	if port == "" {
		port = map[bool]string{true: "443", false: "80"}[req.URL.Scheme == "https"]
	}
	if _, err := g.resolve(req.Context(), req.URL.Hostname(), port); err != nil {
		return nil, err
	}
	pport := u.Port()
	if pport == "" {
		pport = map[bool]string{true: "443", false: "80"}[u.Scheme == "https"]
	}
	g.mu.Lock()
	g.proxies[strings.ToLower(net.JoinHostPort(u.Hostname(), pport))] = true
	g.mu.Unlock()
	return u, nil
}

// nonPublic are the ranges refused besides what netip classifies: "this
// network", carrier-grade NAT (often a cluster's pod or service range),
// IETF protocol assignments, benchmarking, reserved, and IPv6 site-local.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("fec0::/10"),
}

// nat64 embeds an IPv4 address in the last 32 bits.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Public says whether a may be connected to without being listed: not
// loopback, link-local, private (RFC 1918, fc00::/7), unspecified,
// multicast or one of the other non-public ranges, also when written as an
// IPv4-mapped or NAT64 IPv6 address.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if nat64.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte(b[12:]))
	}
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() || a.IsMulticast() ||
		a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// isAddressError reports a refused address anywhere in err's chain.
func isAddressError(err error) (*AddressError, bool) {
	var ae *AddressError
	ok := errors.As(err, &ae)
	return ae, ok
}
