package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The feed listener's hot path. KubeSpawner polls profile_list (and the hub
// module defaults) through the feed listener, so that path is served by a
// plain net/http handler in front of the feed listener's Echo: no router,
// no middleware chain, no per-request header canonicalisation or metric
// label lookups. Everything it sends is prepared once per live feed (the
// header values) or once per server (the counters), so a request costs
// what a bare net/http handler serving the same bytes costs, plus two
// counter increments and one histogram observation. Every other request on
// that listener (healthz, metrics, ?revision=, other methods, nothing
// published yet) goes on to Echo, which answers exactly as before.
//
// The headers and metrics are the same as the Echo path's
// (TestFeedListenerFastPathSendsWhatEchoSends holds them equal), plus a
// Content-Length: the body is known, so it is not sent chunked.

// feedHeaders are one feed's prepared header values, shared read-only by
// every response (net/http does not modify header values it is given).
type feedHeaders struct {
	etag, revision, length []string
}

func newFeedHeaders(revision int64, etag string, body []byte) feedHeaders {
	return feedHeaders{etag: []string{etag}, revision: []string{strconv.FormatInt(revision, 10)}, length: []string{strconv.Itoa(len(body))}}
}

// fixedHeaders are what every feed response carries whatever the feed:
// the security headers (securityHeaders sets the same) and the caching rule.
// A slice, not a map: ranging over a map costs a randomised iterator per
// request.
var fixedHeaders = []struct {
	key   string // canonical
	value []string
}{
	{"Content-Security-Policy", []string{contentSecurityPolicy}},
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"X-Frame-Options", []string{"DENY"}},
	{"Referrer-Policy", []string{"same-origin"}},
	{"Cache-Control", []string{"no-cache"}},
}

var jsonType = []string{"application/json"}

// feedRoute is one fast route's counters, looked up once.
type feedRoute struct {
	name            string // profile_list or defaults
	ok, notModified prometheus.Counter
	feedOK, feed304 prometheus.Counter
	duration        prometheus.Observer
}

type fastFeeds struct {
	s      *Server
	routes map[string]*feedRoute // by exact path
	next   http.Handler
}

func (s *Server) newFastFeeds(base string, next http.Handler) *fastFeeds {
	ff := &fastFeeds{s: s, routes: map[string]*feedRoute{}, next: next}
	for _, name := range []string{"profile_list", "defaults"} {
		route := base + "/" + name
		ff.routes[route] = &feedRoute{
			name:        name,
			ok:          s.metrics.requests.WithLabelValues(http.MethodGet, route, "200"),
			notModified: s.metrics.requests.WithLabelValues(http.MethodGet, route, "304"),
			feedOK:      s.metrics.feedCode(name, "200"),
			feed304:     s.metrics.feedCode(name, "304"),
			duration:    s.metrics.duration.WithLabelValues(route),
		}
	}
	return ff
}

func (ff *fastFeeds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt := ff.routes[r.URL.Path]
	if rt == nil || r.Method != http.MethodGet || r.URL.RawQuery != "" {
		ff.next.ServeHTTP(w, r)
		return
	}
	f := ff.s.live.Load() // once: the headers and the body come from one feed
	if f == nil {
		ff.next.ServeHTTP(w, r) // 503, rare: Echo's path
		return
	}
	start := time.Now()
	body, hs := f.body, &f.listHeaders
	if rt.name == "defaults" {
		body, hs = f.defaults, &f.defHeaders
	}
	h := w.Header()
	for _, kv := range fixedHeaders {
		h[kv.key] = kv.value
	}
	h["Etag"] = hs.etag
	h["X-Hubprofiles-Revision"] = hs.revision
	if match := r.Header["If-None-Match"]; len(match) > 0 && match[0] != "" && etagMatches(match[0], hs.etag[0]) {
		w.WriteHeader(http.StatusNotModified)
		rt.feed304.Inc()
		rt.notModified.Inc()
	} else {
		h["Content-Type"] = jsonType
		h["Content-Length"] = hs.length
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
		rt.feedOK.Inc()
		rt.ok.Inc()
	}
	rt.duration.Observe(time.Since(start).Seconds())
}
