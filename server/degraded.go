package server

// Degraded mode: the hub must never depend on the sidecar's database. When
// the database cannot be reached (at start or later) the server keeps
// running: the feeds answer from memory (or, at a cold start, from the disk
// copy), healthz still answers 200 and says what is wrong, the pages and the
// API answer 503 with a message instead of failing, writes are refused
// before they start, and Watch reconnects with backoff.

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/auth"
	"github.com/jupyterhub/hubprofiles/model"
)

// outage is the database being unreachable since a time.
type outage struct {
	err   error
	since time.Time
}

// Timeouts of the database checks: generous for a busy database, short
// enough that a request refused because of an outage does not hang.
const (
	connectTimeout = 15 * time.Second // Prepare: migrations, the config revision
	pingTimeout    = 5 * time.Second
)

// start is New's first contact with the database.
func (s *Server) start(ctx context.Context) {
	if err := s.connect(ctx); err != nil {
		s.setDown(err)
	}
	if s.live.Load() == nil && s.db.Load() != nil {
		s.loadCopy()
	}
}

// connect checks the database, prepares it (again after an outage: a
// config change made meanwhile is recorded then), and loads the live list. An error means the database is not usable; a
// live list that cannot be loaded from a database that answers is logged,
// not an outage (writes can fix it).
func (s *Server) connect(ctx context.Context) error {
	// A short first question: a database host that drops packets must not
	// hold up the start (the listeners open after New) for long.
	pctx, pcancel := context.WithTimeout(ctx, pingTimeout)
	err := s.opts.Editor.Ping(pctx)
	pcancel()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if s.opts.Prepare != nil {
		if err := s.opts.Prepare(ctx); err != nil {
			return err
		}
	}
	if err := s.Refresh(ctx); err != nil {
		if perr := s.opts.Editor.Ping(ctx); perr != nil {
			return perr
		}
		s.opts.Log.Error("the database answers but the live list cannot be loaded; serving the previous one", "err", err)
	}
	s.setUp()
	return nil
}

// setDown records an outage (the first error and its time) and asks Watch
// to start reconnecting.
func (s *Server) setDown(err error) {
	if cur := s.db.Load(); cur != nil {
		return
	}
	s.db.Store(&outage{err: err, since: time.Now().UTC()})
	s.metrics.databaseUp.Set(0)
	what := "nothing is published in memory"
	if f := s.live.Load(); f != nil {
		what = "the hub keeps getting revision " + strconv.FormatInt(f.revision, 10) + " from memory"
	}
	s.opts.Log.Error("the database is unavailable: running degraded ("+what+"; pages and the API answer 503; writes are refused); reconnecting in the background", "err", err)
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *Server) setUp() {
	if old := s.db.Swap(nil); old != nil {
		s.opts.Log.Info("the database is back: leaving degraded mode", "down_for", time.Since(old.since).Round(time.Second).String())
	}
	s.metrics.databaseUp.Set(1)
}

// Degraded reports whether the database is unavailable, and since when.
func (s *Server) Degraded() (bool, time.Time) {
	if o := s.db.Load(); o != nil {
		return true, o.since
	}
	return false, time.Time{}
}

// Watch keeps the server in step with the database until ctx ends: every
// interval it reloads the live list (a publication by another process,
// hubprofiles import --publish, is served without a restart) and notices
// an outage; during one it tries to reconnect, waiting RetryMin, then
// twice as long each time up to RetryMax.
func (s *Server) Watch(ctx context.Context, every time.Duration) {
	wait := every
	backoff := s.opts.RetryMin
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
			t.Stop()
		}
		if s.db.Load() != nil {
			if err := s.connect(ctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				s.opts.Log.Warn("the database is still unavailable", "err", err, "next_attempt_in", backoff.String())
				t.Reset(backoff)
				backoff = min(2*backoff, s.opts.RetryMax)
				continue
			}
		} else if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
			pctx, cancel := context.WithTimeout(ctx, pingTimeout)
			perr := s.opts.Editor.Ping(pctx)
			cancel()
			if perr != nil && ctx.Err() == nil {
				s.setDown(perr)
				select { // setDown's own request: the first attempt waits RetryMin
				case <-s.kick:
				default:
				}
				t.Reset(s.opts.RetryMin)
				backoff = min(2*s.opts.RetryMin, s.opts.RetryMax)
				continue
			}
			s.opts.Log.Warn("refreshing the live list", "err", err)
		}
		backoff = s.opts.RetryMin
		t.Reset(every)
	}
}

// guardDatabase answers the routes that need the database (the API and the
// pages) with 503 during an outage, and checks that the database answers
// before letting a write start, so that a write is refused whole, with a
// message, rather than failing halfway with a 500.
func (s *Server) guardDatabase(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !s.needsDatabase(c.Path()) {
			return next(c)
		}
		write := !safeMethod(c.Request().Method)
		if o := s.db.Load(); o != nil {
			return s.unavailable(c, o, write)
		}
		if write {
			ctx, cancel := context.WithTimeout(c.Request().Context(), pingTimeout)
			err := s.opts.Editor.Ping(ctx)
			cancel()
			if err != nil && c.Request().Context().Err() == nil {
				s.setDown(err)
				return s.unavailable(c, s.db.Load(), write)
			}
		}
		err := next(c)
		if err == nil && c.Response().Status >= http.StatusInternalServerError {
			select { // a read failed: have Watch look at the database now
			case s.kick <- struct{}{}:
			default:
			}
		}
		return err
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// needsDatabase tells the API and the pages (by route) from the feeds,
// health, metrics, login and static files, which work without it.
func (s *Server) needsDatabase(route string) bool {
	rest, under := strings.CutPrefix(route, s.opts.Prefix)
	if !under {
		return false // the prefix without its slash, or no route at all
	}
	switch rest {
	case "profile_list", "defaults", "healthz", "metrics", "login", "oauth_callback", "logout", "api/v1/openapi.yaml":
		return false
	}
	return !strings.HasPrefix(rest, "static/")
}

// unavailable answers a request that needs the database during an outage:
// JSON for the API, a page for the pages. Who may read hubprofiles also
// sees the database's error; others only that it is unavailable.
func (s *Server) unavailable(c echo.Context, o *outage, write bool) error {
	c.Response().Header().Set("Retry-After", strconv.Itoa(int(s.opts.RetryMax.Seconds())))
	served := "Nothing is published in memory, so the hub keeps its own list."
	if f := s.live.Load(); f != nil {
		served = "The hub keeps getting revision " + strconv.FormatInt(f.revision, 10) + " of the profile list."
	}
	since := o.since.Format("2006-01-02 15:04:05 UTC")
	msg := "the database is unavailable (since " + since + "); this cannot be read until it is back. " + served + " Spawns are not affected."
	if write {
		msg = "the database is unavailable (since " + since + "); nothing was saved. " + served + " Spawns are not affected."
	}
	if !s.wantsPage(c) {
		return model.Errorf(model.CodeDatabaseUnavailable, "%s", msg)
	}
	// A page says more: that it keeps trying, and to who may read
	// hubprofiles, what the database said.
	msg = "T" + msg[1:] + " hubprofiles keeps trying by itself; this page works again once the database is back."
	if u, err := s.opts.Identify.Identify(c); err == nil && auth.RoleOf(u, s.opts.Editor.Config().Access) >= auth.Viewer {
		msg += " The database said: " + o.err.Error()
	}
	return model.Errorf(model.CodeDatabaseUnavailable, "%s", msg)
}

// healthz answers 200 while the process runs: it is the container's
// liveness probe, and a sidecar restarted for a database outage would only
// lose the list it holds in memory. The body says whether the server runs
// degraded. It reads only memory, so it answers at once whatever the
// database does; the database's error itself goes to the log, not to this
// open endpoint.
func (s *Server) healthz(c echo.Context) error {
	body := health{Status: "ok"}
	f := s.live.Load()
	if f != nil {
		body.LiveRevision = f.revision
	}
	if o := s.db.Load(); o != nil {
		body.Status = "degraded"
		body.Database = "unavailable since " + o.since.Format(time.RFC3339) + " (the server log has the error)"
		if f != nil && !f.fromCopy.IsZero() {
			body.Feed = "from the disk copy written " + f.fromCopy.UTC().Format(time.RFC3339)
		} else if f != nil {
			body.Feed = "from memory"
		} else {
			body.Feed = "nothing to serve (503)"
		}
	}
	return c.JSON(http.StatusOK, body)
}

// health is healthz's body; the fields but status are there only when
// they say something (in the order of their names, as the map it replaced).
type health struct {
	Database     string `json:"database,omitempty"`
	Feed         string `json:"feed,omitempty"`
	LiveRevision int64  `json:"live_revision,omitempty"`
	Status       string `json:"status"`
}
