// Package registry checks container images against OCI registries: does a
// reference exist, what is its digest, which tags does its repository have,
// and which of them are newer than the one in use.
//
// A check ends in one of a few distinct outcomes (Status), each with a
// message a hub admin can act on. A check never takes longer than
// Options.Timeout, whatever the registry does: a page that shows twenty
// images of a dead registry waits for one timeout, not twenty. Results are
// cached for Options.CacheTTL; Recheck bypasses the cache for explicit checks.
// References outside Options.AllowedRegistries are refused without asking.
//
// It uses regclient (github.com/regclient/regclient) with few retries and
// short backoffs: regclient's defaults make a registry that is down take
// seconds per request.
package registry

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/regclient/regclient"
	"github.com/regclient/regclient/config"
	"github.com/regclient/regclient/scheme/reg"
	"github.com/regclient/regclient/types/ref"
)

// Status is the outcome of a check.
type Status string

// The outcomes of a check.
const (
	Exists       Status = "exists"
	NotFound     Status = "not_found"    // the tag, digest or repository does not exist (see Result.Missing)
	Unauthorized Status = "unauthorized" // the registry refused: private, or the credentials are wrong
	Unreachable  Status = "unreachable"  // no connection, a TLS problem, or an error from the registry
	Invalid      Status = "invalid"      // not an image reference
	Timeout      Status = "timeout"      // no answer within Options.Timeout
	NotAllowed   Status = "not_allowed"  // the infrastructure policy does not allow the registry
)

// Result is what a check found out about one image reference.
type Result struct {
	Ref    string `json:"ref"` // as given
	Status Status `json:"status"`
	Digest string `json:"digest,omitempty"` // of the manifest, when it exists
	// Message says, for a hub admin, what happened and what to do.
	Message string `json:"message"`
	// Missing is, for NotFound, what is missing: "tag", "digest" (for a
	// repo@sha256:... reference) or "repository"; "" when the registry
	// would not say which.
	Missing   string    `json:"missing,omitempty"`
	CheckedAt time.Time `json:"checked_at"`
}

// Host is the connection setting of one registry.
type Host struct {
	Name     string // host[:port], e.g. registry.example.org:5000
	Insecure bool   // plain HTTP, for on-premise registries without TLS
}

// Options configure a Checker. Zero values mean the defaults.
type Options struct {
	// Hosts are the registries the operator listed. Only these may be on
	// loopback, link-local, private or other non-public addresses; any
	// other host is refused there (AddressError), so that image references
	// cannot make the sidecar connect into the cluster.
	Hosts []Host
	// DockerConfig is the path of a docker config.json with credentials
	// ("auths" with base64 user:password); "" means none.
	DockerConfig string
	// AllowedRegistries lists the registry hosts images may come from;
	// empty means any. Docker Hub is "docker.io".
	AllowedRegistries []string
	// Timeout bounds each check, including its wait for a free slot
	// (default 5s).
	Timeout time.Duration
	// CacheTTL is how long Check reuses a result (default 10 minutes;
	// negative: never). Unreachable and timed-out results are kept for at
	// most a minute, as they are about the moment rather than the image.
	CacheTTL time.Duration
	// Concurrency bounds the checks running at once, in CheckAll and
	// overall (default 8).
	Concurrency int
	// UserAgent is sent to registries (default "hubprofiles").
	UserAgent string
}

// Defaults of Options.
const (
	DefaultTimeout     = 5 * time.Second
	DefaultCacheTTL    = 10 * time.Minute
	DefaultConcurrency = 8
	// failureTTL caps how long a transient failure (Unreachable, Timeout)
	// is cached.
	failureTTL = time.Minute
)

// Checker checks image references. It is safe for concurrent use.
type Checker struct {
	rc      *regclient.RegClient
	timeout time.Duration
	ttl     time.Duration
	allowed []string        // normalized hosts; empty: any
	creds   map[string]bool // registries with credentials in the docker config
	slots   chan struct{}   // one per running check

	mu       sync.Mutex
	cache    map[string]entry // by the reference as given
	inflight map[string]*call // Check calls under way, joined by later ones
}

type entry struct {
	res     Result
	expires time.Time
}

// call is one check under way that concurrent Check calls share.
type call struct {
	done chan struct{} // closed when res is set
	res  Result
}

// New returns a Checker. It fails when the docker config cannot be read or
// has a malformed entry, or a host has no name.
func New(opts Options) (*Checker, error) {
	c := &Checker{
		timeout:  opts.Timeout,
		ttl:      opts.CacheTTL,
		creds:    map[string]bool{},
		cache:    map[string]entry{},
		inflight: map[string]*call{},
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.ttl == 0 {
		c.ttl = DefaultCacheTTL
	}
	conc := opts.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	c.slots = make(chan struct{}, conc)
	for _, a := range opts.AllowedRegistries {
		c.allowed = append(c.allowed, normalizeHost(a))
	}
	ua := opts.UserAgent
	if ua == "" {
		ua = "hubprofiles"
	}

	// regclient allows 3 requests at once per registry by default, which
	// would quietly make Concurrency 3 for images on one registry.
	var hosts []config.Host
	if opts.DockerConfig != "" {
		dh, err := loadDockerConfig(opts.DockerConfig)
		if err != nil {
			return nil, err
		}
		for _, h := range dh {
			if h.User != "" || h.Token != "" || h.CredHelper != "" {
				c.creds[normalizeHost(h.Name)] = true
			}
			h.ReqConcurrent = int64(conc)
			hosts = append(hosts, h)
		}
	}
	// After the docker config: a host's TLS setting there (TLS unless the
	// key starts with http://) would otherwise override Insecure.
	for i, h := range opts.Hosts {
		if strings.TrimSpace(h.Name) == "" {
			return nil, fmt.Errorf("registry hosts[%d]: no name", i)
		}
		ch := config.Host{Name: h.Name, ReqConcurrent: int64(conc)}
		if h.Insecure {
			ch.TLS = config.TLSDisabled
		}
		hosts = append(hosts, ch)
	}
	// Docker Hub is configured inside regclient.New, before the default.
	hosts = append(hosts, config.Host{Name: config.DockerRegistry, ReqConcurrent: int64(conc)})
	c.rc = regclient.New(
		regclient.WithConfigHostDefault(config.Host{ReqConcurrent: int64(conc)}),
		regclient.WithConfigHost(hosts...),
		// One retry (which an auth challenge needs) and short backoffs:
		// the defaults (5 retries, 0.1 s doubling up to 30 s, kept per
		// host between calls) make one check of a down registry take 3 s.
		regclient.WithRegOpts(reg.WithRetryLimit(1), reg.WithDelay(10*time.Millisecond, 100*time.Millisecond),
			// Every connection to a non-public address is refused unless
			// the host is listed in Hosts (see addressGuard).
			reg.WithTransport(newAddressGuard(opts.Hosts).transport())),
		regclient.WithUserAgent(ua),
	)
	return c, nil
}

// loadDockerConfig reads the hosts and credentials of a docker config.json.
// regclient skips entries it cannot read and ignores a missing file; here
// both are errors, since a credential that silently goes missing shows up
// much later as "unauthorized".
func loadDockerConfig(path string) ([]config.Host, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("docker config: %w", err)
	}
	var dc struct {
		Auths map[string]struct {
			Auth string `json:"auth"`
		} `json:"auths"`
	}
	if err := json.Unmarshal(b, &dc); err != nil {
		return nil, fmt.Errorf("docker config %s: %w", path, err)
	}
	for name, a := range dc.Auths {
		if a.Auth == "" {
			continue
		}
		up, err := base64.StdEncoding.DecodeString(a.Auth)
		if err != nil || !strings.Contains(string(up), ":") {
			return nil, fmt.Errorf("docker config %s: auths[%q].auth is not base64 of user:password", path, name)
		}
	}
	hosts, err := config.DockerLoadFile(path)
	if err != nil {
		return nil, fmt.Errorf("docker config %s: %w", path, err)
	}
	return hosts, nil
}

// Check checks ref, reusing a result younger than CacheTTL, or one that a
// concurrent Check is about to have.
func (c *Checker) Check(ctx context.Context, ref string) Result {
	return c.check(ctx, ref, time.Now().Add(c.timeout))
}

// Recheck asks the registry about ref whatever the cache holds, and caches
// the answer. For checks a person asked for.
func (c *Checker) Recheck(ctx context.Context, ref string) Result {
	r, res, ok := c.prepare(ref)
	if !ok {
		return res
	}
	res, keep := c.ask(ctx, ref, r, time.Now().Add(c.timeout))
	if keep {
		c.mu.Lock()
		c.store(res)
		c.mu.Unlock()
	}
	return res
}

// Cached returns what is known about ref without asking a registry: a
// cached result, or the verdict on an invalid or disallowed reference.
func (c *Checker) Cached(ref string) (Result, bool) {
	if _, res, ok := c.prepare(ref); !ok {
		return res, true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fresh(ref)
}

// Last returns the newest result the checker holds for ref, expired or
// not: what the registry said when last asked, for pages that must say
// "not checked since …" rather than forget a failure once it expires.
func (c *Checker) Last(ref string) (Result, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.cache[ref]
	return e.res, ok
}

// CheckAll checks refs concurrently, at most Concurrency at a time, each
// distinct reference once, and returns the results by reference. Like
// Check, it uses the cache, and it returns within Timeout: a check still
// waiting for a slot then is reported as timed out (and not cached).
func (c *Checker) CheckAll(ctx context.Context, refs []string) map[string]Result {
	deadline := time.Now().Add(c.timeout)
	out := make(map[string]Result, len(refs))
	seen := make(map[string]bool, len(refs))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, ref := range refs {
		if seen[ref] {
			continue
		}
		seen[ref] = true
		wg.Go(func() {
			res := c.check(ctx, ref, deadline)
			mu.Lock()
			out[ref] = res
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// check is Check with a deadline that CheckAll shares among its checks.
func (c *Checker) check(ctx context.Context, raw string, deadline time.Time) Result {
	r, res, ok := c.prepare(raw)
	if !ok {
		return res
	}
	c.mu.Lock()
	if res, ok := c.fresh(raw); ok {
		c.mu.Unlock()
		return res
	}
	cl, running := c.inflight[raw]
	if !running {
		cl = &call{done: make(chan struct{})}
		c.inflight[raw] = cl
		// The check runs to its own deadline even if this caller leaves:
		// the answer goes to the cache and to the other callers.
		bg := context.WithoutCancel(ctx)
		go func() {
			res, keep := c.ask(bg, raw, r, deadline)
			c.mu.Lock()
			cl.res = res
			delete(c.inflight, raw)
			if keep {
				c.store(res)
			}
			c.mu.Unlock()
			close(cl.done)
		}()
	}
	c.mu.Unlock()
	select {
	case <-cl.done:
		return cl.res
	case <-ctx.Done():
		return Result{
			Ref:       raw,
			Status:    Timeout,
			Message:   fmt.Sprintf("the check of %s stopped before %s answered (%v)", raw, r.Registry, ctx.Err()),
			CheckedAt: now(),
		}
	}
}

// fresh returns the cached result for ref if it has not expired. c.mu must
// be held.
func (c *Checker) fresh(ref string) (Result, bool) {
	e, ok := c.cache[ref]
	if !ok || !time.Now().Before(e.expires) {
		return Result{}, false
	}
	return e.res, true
}

// store caches res unless the cache holds a newer result. c.mu must be held.
func (c *Checker) store(res Result) {
	if c.ttl < 0 {
		return
	}
	if old, ok := c.cache[res.Ref]; ok && old.res.CheckedAt.After(res.CheckedAt) {
		return
	}
	ttl := c.ttl
	if res.Status == Unreachable || res.Status == Timeout {
		ttl = min(ttl, failureTTL)
	}
	if len(c.cache) >= 1024 {
		now := time.Now()
		for k, e := range c.cache {
			if !now.Before(e.expires) {
				delete(c.cache, k)
			}
		}
	}
	c.cache[res.Ref] = entry{res: res, expires: time.Now().Add(ttl)}
}

// prepare parses raw and applies the policy. When ok is false, res is the
// verdict (Invalid or NotAllowed), reached without a network call.
func (c *Checker) prepare(raw string) (r ref.Ref, res Result, ok bool) {
	r, err := parseRef(raw)
	if err != nil {
		return r, Result{Ref: raw, Status: Invalid, Message: err.Error(), CheckedAt: now()}, false
	}
	if host := normalizeHost(r.Registry); len(c.allowed) > 0 && !slices.Contains(c.allowed, host) {
		msg := fmt.Sprintf("images from %s are not allowed by the infrastructure policy (allowed: %s)", host, strings.Join(c.allowed, ", "))
		return r, Result{Ref: raw, Status: NotAllowed, Message: msg, CheckedAt: now()}, false
	}
	return r, Result{}, true
}

// parseRef parses an image reference of a registry. regclient also takes
// ocidir://path references, to local directories, which are refused here.
func parseRef(raw string) (ref.Ref, error) {
	const want = "want registry/repository:tag or registry/repository@sha256:digest"
	if strings.TrimSpace(raw) == "" {
		return ref.Ref{}, fmt.Errorf("no image reference (%s)", want)
	}
	r, err := ref.New(raw)
	if err != nil {
		if strings.Contains(err.Error(), "lowercase") {
			return r, fmt.Errorf("%q is not a valid image reference: repository names must be lowercase", raw)
		}
		return r, fmt.Errorf("%q is not a valid image reference (%s)", raw, want)
	}
	if r.Scheme != "reg" {
		return ref.Ref{}, fmt.Errorf("%q is not a valid image reference (%s)", raw, want)
	}
	return r, nil
}

// Registry returns the registry host of an image reference, "docker.io" for
// Docker Hub references without one ("jupyter/base-notebook"). For what is
// not a valid reference it reads the first path element as container
// runtimes do.
func Registry(s string) string {
	if r, err := parseRef(s); err == nil {
		return normalizeHost(r.Registry)
	}
	first, _, found := strings.Cut(s, "/")
	if found && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return normalizeHost(first)
	}
	return config.DockerRegistry
}

// normalizeHost lower-cases a registry host and names Docker Hub "docker.io"
// whichever of its names is used.
func normalizeHost(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	switch h {
	case config.DockerRegistryDNS, "index.docker.io", config.DockerRegistryAuth:
		return config.DockerRegistry
	}
	return h
}

// now is the time a result is stamped with.
func now() time.Time { return time.Now().UTC() }
