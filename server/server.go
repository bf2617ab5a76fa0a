// Package server wires the HTTP surfaces together under the service prefix:
// the profile_list feed KubeSpawner polls, health and metrics, and the REST
// API. It holds the live list in memory so that the feed never waits on the
// database, and keeps a copy of it on disk for a start without one.
//
// There are two handlers: Handler, for the listener the hub's proxy routes
// to, where the feeds and metrics need a viewer's login or API token; and
// FeedHandler, for a listener on the pod's loopback, which serves only the
// feeds, healthz and metrics, with no login, to the hub-side module.
//
// The server never stops because of the database: when it cannot be
// reached, the server runs degraded (degraded.go) and reconnects by itself.
package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/jupyterhub/hubprofiles/api"
	"github.com/jupyterhub/hubprofiles/auth"
	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
	"github.com/jupyterhub/hubprofiles/registry"
	"github.com/jupyterhub/hubprofiles/store"
	"github.com/jupyterhub/hubprofiles/ui"
)

// Options configure a Server.
type Options struct {
	// Prefix is where everything is mounted, with slashes on both ends
	// (JUPYTERHUB_SERVICE_PREFIX, e.g. /services/hubprofiles/).
	Prefix   string
	Editor   *edit.Editor
	Identify auth.Identifier
	// Images checks image references against their registries for the
	// API and the pages; nil turns registry checks off. (The editor's own
	// checker is its owner's to set: edit.Editor.SetImageChecker.)
	Images *registry.Checker
	Log    *slog.Logger

	// Prepare readies the database once it answers: migrations, recording
	// the infrastructure config. New runs it, and so does every
	// reconnection after an outage, so it must be idempotent; while it
	// fails the server runs degraded and tries again, with backoff. nil:
	// the store is ready.
	Prepare func(ctx context.Context) error
	// FeedCopy is the file that keeps the live feed on disk, rewritten at
	// every publication and read at a start without a database. "": none.
	FeedCopy string
	// RetryMin and RetryMax bound the wait between reconnection attempts
	// (default 1 s and 30 s).
	RetryMin, RetryMax time.Duration
	// Version is the release from -ldflags, for hubprofiles_build_info;
	// "" takes the module version the binary was built with.
	Version string
}

// Server is the HTTP side of hubprofiles.
type Server struct {
	opts    Options
	echo    *echo.Echo // the public listener
	feeds   *echo.Echo // the hub's listener: feeds, healthz, metrics only
	fast    *fastFeeds // in front of feeds: GET profile_list and defaults
	live    atomic.Pointer[feed]
	refresh sync.Mutex // one Refresh at a time, so an older list never replaces a newer one
	metrics *metrics
	pages   *ui.Handler // answers errors to browsers with a page

	db   atomic.Pointer[outage] // nil while the database answers
	kick chan struct{}          // asks Watch to check the database now
	// unreadableLogged is the unreadable live revision last logged (under refresh).
	unreadableLogged int64
}

// feed is what profile_list serves: the live revision's bytes.
type feed struct {
	revision  int64
	published int64  // the live publication's revision; not revision when that one is unreadable
	body      []byte // the profile list
	etag      string
	defaults  []byte // the hub-wide defaults
	defETag   string
	// listHeaders and defHeaders are the header values the feed listener's
	// fast path sends (fastfeed.go), made once per feed.
	listHeaders, defHeaders feedHeaders
	// fromCopy is when the disk copy this feed was read from was written;
	// zero when it came from the database.
	fromCopy time.Time
}

// newFeed is the feed of revision (published: the live publication's)
// with its ETags and prepared headers.
func newFeed(revision, published int64, body, defaults []byte) *feed {
	f := &feed{revision: revision, published: published, body: body, etag: etagOf(body), defaults: defaults, defETag: etagOf(defaults)}
	f.listHeaders = newFeedHeaders(revision, f.etag, body)
	f.defHeaders = newFeedHeaders(revision, f.defETag, defaults)
	return f
}

func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// New builds the server and loads the live list: from the database, or,
// when that cannot be reached, from the disk copy (the server then runs
// degraded and Watch reconnects). Only a bad prefix or a broken template
// fails it.
func New(ctx context.Context, opts Options) (*Server, error) {
	if !strings.HasPrefix(opts.Prefix, "/") || !strings.HasSuffix(opts.Prefix, "/") {
		return nil, fmt.Errorf("the service prefix must start and end with /, not %q", opts.Prefix)
	}
	if opts.RetryMin <= 0 {
		opts.RetryMin = time.Second
	}
	if opts.RetryMax < opts.RetryMin {
		opts.RetryMax = max(30*time.Second, opts.RetryMin)
	}
	s := &Server{opts: opts, metrics: newMetrics(opts.Version), kick: make(chan struct{}, 1)}
	s.echo, s.feeds = s.newEcho(), s.newEcho()
	s.echo.Use(s.guardDatabase)

	base := strings.TrimSuffix(opts.Prefix, "/")
	g := s.echo.Group(base)
	// The feeds and operations: these lists plus api.Register and
	// ui.Register are every URL. On the public listener the feeds and
	// metrics need a viewer; healthz is open (the liveness probe).
	s.feedRoutes(g, s.requireViewer)
	s.feedRoutes(s.feeds.Group(base))
	s.fast = s.newFastFeeds(base, s.feeds)
	if login, ok := opts.Identify.(interface{ Register(*echo.Group) }); ok {
		login.Register(g) // login, oauth_callback, logout
	}
	if base != "" {
		s.echo.GET(base, func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, opts.Prefix) })
	}
	// The feed serves a publication at once, whoever made it through the
	// editor (the API, the pages).
	opts.Editor.OnPublish(func() {
		if err := s.Refresh(context.Background()); err != nil {
			opts.Log.Error("reloading the live list after a publication", "err", err)
		}
	})
	api.New(opts.Editor, opts.Identify, opts.Images, opts.Log).Register(g.Group("/api/v1"))
	pages, err := ui.New(opts.Editor, opts.Identify, opts.Images, opts.Log, opts.Prefix)
	if err != nil {
		return nil, err
	}
	pages.Register(g)
	s.pages = pages

	s.start(ctx)
	return s, nil
}

func (s *Server) newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.errorHandler
	e.Use(middleware.Recover(), s.observe, securityHeaders)
	return e
}

// feedRoutes mounts what the hub reads, healthz and metrics on g; guard
// protects all but healthz.
func (s *Server) feedRoutes(g *echo.Group, guard ...echo.MiddlewareFunc) {
	g.GET("/profile_list", s.profileList, guard...)
	g.GET("/defaults", s.defaults, guard...)
	g.GET("/healthz", s.healthz)
	g.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})), guard...)
}

// requireViewer lets through a logged-in user or API token of a viewer,
// editor or hub admin; the public listener's feeds and metrics use it.
func (s *Server) requireViewer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		_, err := auth.Authorize(c, s.opts.Identify, s.opts.Editor.Config().Access, auth.Viewer)
		if model.CodeOf(err) == model.CodeUnauthorized {
			return model.Errorf(model.CodeUnauthorized, "%v; the hub's own module reads this on the feed listener (--feed-listen), which needs none", err)
		}
		if err != nil {
			return err
		}
		return next(c)
	}
}

// Handler is the public listener's handler (the one the hub's proxy routes
// to), for http.Server.
func (s *Server) Handler() http.Handler { return headAsGet(s.echo) }

// FeedHandler serves profile_list, defaults, healthz and metrics with no
// login, for a listener only the hub reaches (loopback in the hub pod).
func (s *Server) FeedHandler() http.Handler { return headAsGet(s.fast) }

// Routes lists every route of the public handler, for tests that walk them.
func (s *Server) Routes() []*echo.Route { return s.echo.Routes() }

// FeedRoutes lists every route of FeedHandler.
func (s *Server) FeedRoutes() []*echo.Route { return s.feeds.Routes() }

// Refresh reloads the live list from the store.
func (s *Server) Refresh(ctx context.Context) error {
	s.refresh.Lock()
	defer s.refresh.Unlock()
	liveID, err := s.opts.Editor.LiveID(ctx)
	if err != nil {
		return fmt.Errorf("loading the live revision: %w", err)
	}
	if liveID == 0 {
		s.live.Store(nil)
		return nil
	}
	if cur := s.live.Load(); cur != nil && cur.published == liveID && cur.fromCopy.IsZero() {
		return nil
	}
	_, st, err := s.opts.Editor.Live(ctx)
	var bad *edit.UnreadableError
	if errors.As(err, &bad) && s.live.Load() == nil {
		// Not one publication can be read: serve none (503, the hub keeps
		// its fallback list) rather than refuse to start.
		if s.unreadableLogged != bad.Revision { // once, not every poll
			s.opts.Log.Error("no publication can be read; profile_list answers 503 until a readable revision is published", "err", err)
			s.unreadableLogged = bad.Revision
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("loading the live revision: %w", err)
	}
	if st.Skipped != nil { // an unreadable live revision: serve the last readable one
		s.opts.Log.Error("the live revision cannot be read; serving the newest readable publication", "err", st.Skipped, "serving", st.Revision.ID)
	}
	r := st.Revision
	defaults, err := profilelist.RenderDefaults(st.Catalog)
	if err != nil {
		return fmt.Errorf("rendering the defaults of revision %d: %w", r.ID, err)
	}
	f := newFeed(r.ID, liveID, r.ProfileList, defaults)
	s.live.Store(f)
	s.metrics.liveRevision.Set(float64(r.ID))
	s.opts.Log.Info("serving live revision", "revision", r.ID)
	s.writeCopy(f)
	return nil
}

// profileList serves the live list to KubeSpawner: ETag and If-None-Match,
// never cached without revalidation. ?revision=N or head (for previews)
// needs a logged-in viewer on either listener.
func (s *Server) profileList(c echo.Context) error {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-cache")
	if rev := c.QueryParam("revision"); rev != "" {
		return s.profileListAt(c, rev)
	}
	f := s.live.Load() // once: the headers and the body come from one feed
	if f == nil {
		return s.serveFeed(c, nil, nil, "", "profile_list")
	}
	return s.serveFeed(c, f, f.body, f.etag, "profile_list")
}

// defaults serves the hub-wide defaults of the live revision, like
// profile_list: ETag, 304.
func (s *Server) defaults(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-cache")
	f := s.live.Load()
	if f == nil {
		return s.serveFeed(c, nil, nil, "", "defaults")
	}
	return s.serveFeed(c, f, f.defaults, f.defETag, "defaults")
}

// serveFeed answers one of the hub's feeds from memory, from the one feed f
// the handler loaded (so that X-Hubprofiles-Revision always names the
// revision of the body, even while a publication swaps the live feed); a nil
// f or body means nothing is published yet (503, so the hub keeps its
// fallback).
func (s *Server) serveFeed(c echo.Context, f *feed, body []byte, etag, name string) error {
	h := c.Response().Header()
	if body == nil || f == nil {
		s.metrics.feedCode(name, "503").Inc()
		return api.WriteError(c, s.opts.Log, model.Errorf(model.CodeNothingPublished, "no revision is published yet; publish one, and until then the hub keeps its fallback"))
	}
	h.Set("ETag", etag)
	h.Set("X-Hubprofiles-Revision", strconv.FormatInt(f.revision, 10))
	if match := c.Request().Header.Get("If-None-Match"); match != "" && etagMatches(match, etag) {
		s.metrics.feedCode(name, "304").Inc()
		return c.NoContent(http.StatusNotModified)
	}
	s.metrics.feedCode(name, "200").Inc()
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
}

func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

func (s *Server) profileListAt(c echo.Context, rev string) error {
	if _, err := auth.Authorize(c, s.opts.Identify, s.opts.Editor.Config().Access, auth.Viewer); err != nil {
		return err
	}
	ctx := c.Request().Context()
	var (
		r   *store.Revision
		err error
	)
	if rev == "head" {
		r, err = s.opts.Editor.HeadRevision(ctx)
	} else {
		id, perr := strconv.ParseInt(rev, 10, 64)
		if perr != nil || id <= 0 {
			return model.Errorf(model.CodeBadRequest, "revision must be a number or head")
		}
		r, err = s.opts.Editor.Revision(ctx, id)
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("X-Hubprofiles-Revision", strconv.FormatInt(r.ID, 10))
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, r.ProfileList)
}

const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// securityHeaders: a strict CSP (no inline script; htmx is served by us),
// no framing, no sniffing, no referrer beyond our origin.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		return next(c)
	}
}

// errorHandler answers the errors the API and the pages did not answer
// themselves (a URL no route has, the feeds' guard, an outage): a page in
// the layout for a browser, the API's JSON error for everyone else.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if s.wantsPage(c) {
		_ = s.pages.Error(c, err)
		return
	}
	_ = api.WriteError(c, s.opts.Log, err)
}

// wantsPage tells a browser asking for a page from a script: the API's
// paths always get JSON; the pages' routes always get a page (as their own
// errors do); elsewhere (a URL no route has, the feeds, the login) a request
// whose Accept names HTML, as a browser's navigation does, gets a page.
func (s *Server) wantsPage(c echo.Context) bool {
	if s.pages == nil || strings.HasPrefix(c.Request().URL.Path, s.opts.Prefix+"api/") {
		return false
	}
	return strings.Contains(c.Request().Header.Get(echo.HeaderAccept), echo.MIMETextHTML) || s.needsDatabase(c.Path())
}

type metrics struct {
	registry   *prometheus.Registry
	databaseUp prometheus.Gauge
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	feeds      map[string]*prometheus.CounterVec
	// feedCodes are the feeds' counters by feed and status, looked up once
	// (a WithLabelValues per request hashes the labels every time).
	feedCodes    map[[2]string]prometheus.Counter
	liveRevision prometheus.Gauge
	images       *prometheus.GaugeVec
}

func newMetrics(version string) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		databaseUp: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hubprofiles_database_up",
			Help: "1 while the database answers; 0 while the server runs degraded (feeds from memory, writes refused)."}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hubprofiles_http_requests_total",
			Help: "HTTP requests by route and status."}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hubprofiles_http_request_duration_seconds",
			Help: "HTTP request latency by route.", Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"route"}),
		feeds: map[string]*prometheus.CounterVec{
			"profile_list": prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hubprofiles_profile_list_responses_total",
				Help: "profile_list responses to KubeSpawner by status (200, 304, 503)."}, []string{"code"}),
			"defaults": prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hubprofiles_defaults_responses_total",
				Help: "defaults responses to the hub by status (200, 304, 503)."}, []string{"code"}),
		},
		liveRevision: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hubprofiles_live_revision",
			Help: "The revision profile_list serves (0: nothing published)."}),
		images: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "hubprofiles_images",
			Help: "Image references of the draft head and the live revision by the outcome of their last registry check."}, []string{"status"}),
	}
	m.feedCodes = map[[2]string]prometheus.Counter{}
	for name, vec := range m.feeds {
		for _, code := range []string{"200", "304", "503"} {
			m.feedCodes[[2]string{name, code}] = vec.WithLabelValues(code)
		}
	}
	v, rev, gov := buildInfo(version)
	info := prometheus.NewGauge(prometheus.GaugeOpts{Name: "hubprofiles_build_info",
		Help:        "Always 1; its labels say which build runs: the release, the VCS revision and the Go version.",
		ConstLabels: prometheus.Labels{"version": v, "revision": rev, "goversion": gov}})
	info.Set(1)
	m.registry.MustRegister(m.requests, m.duration, m.feeds["profile_list"], m.feeds["defaults"], m.liveRevision, m.images,
		m.databaseUp, info, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// feedCode is the counter of feed name's responses with status code.
func (m *metrics) feedCode(name, code string) prometheus.Counter {
	return m.feedCodes[[2]string{name, code}]
}

// buildInfo is the release (version, from -ldflags, else the main
// module's version), the VCS revision the binary was built from and the Go
// version; "unknown" for what the binary does not record (a build with
// -buildvcs=false has no revision).
func buildInfo(version string) (v, rev, gov string) {
	v, rev, gov = version, "unknown", runtime.Version()
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" {
			v = bi.Main.Version
		}
		modified := false
		for _, st := range bi.Settings {
			switch st.Key {
			case "vcs.revision":
				rev = st.Value
			case "vcs.modified":
				modified = st.Value == "true"
			}
		}
		if modified && rev != "unknown" {
			rev += "-modified"
		}
	}
	if v == "" {
		v = "unknown"
	}
	return v, rev, gov
}

// observe counts and times every request, and logs all but the feed's
// (KubeSpawner polls it; a log line each time would drown the rest).
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		route := c.Path()
		code := c.Response().Status
		s.metrics.requests.WithLabelValues(c.Request().Method, route, strconv.Itoa(code)).Inc()
		s.metrics.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
		if !strings.HasSuffix(route, "/profile_list") && !strings.HasSuffix(route, "/defaults") && !strings.HasSuffix(route, "/healthz") && !strings.HasSuffix(route, "/metrics") {
			s.opts.Log.Info("request", "method", c.Request().Method, "path", c.Request().URL.Path, "status", code, "duration", time.Since(start))
		}
		return nil
	}
}
