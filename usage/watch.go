package usage

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jupyterhub/hubprofiles/model"
)

// Settings are the infrastructure config's usage: section.
type Settings struct {
	// Interval is how often the hub is read; 0 turns usage off.
	Interval time.Duration
	PageSize int
	MaxUsers int
}

// DefaultInterval is how often the hub is read when the config does not
// say: a big hub's users are read in pages of 200, so every ten minutes
// costs a few requests a minute at most.
const DefaultInterval = 10 * time.Minute

// Watcher keeps the hub's servers in memory, refreshed in the background.
// Everything that shows usage reads this copy; nothing waits on the hub.
type Watcher struct {
	hub      *Hub // nil: not under JupyterHub
	settings func() Settings
	log      *slog.Logger
	now      func() time.Time

	snap atomic.Pointer[snapshot]
	kick chan struct{}

	mu   sync.Mutex // guards last
	last struct {
		snap    *snapshot
		catalog *model.Catalog
		report  *Report
	}
}

// snapshot is one refresh's outcome.
type snapshot struct {
	servers []Server
	at      time.Time // when servers were read; zero: never
	err     error     // the newest refresh's failure, nil after a success
	failed  time.Time
}

// NewWatcher reads hub (nil: usage is unknown, "not running under
// JupyterHub") with the settings in force at each refresh.
func NewWatcher(hub *Hub, settings func() Settings, log *slog.Logger) *Watcher {
	w := &Watcher{hub: hub, settings: settings, log: log, now: time.Now, kick: make(chan struct{}, 1)}
	w.snap.Store(&snapshot{})
	return w
}

// errNoHub is the reason when there is no hub to ask.
var errNoHub = errors.New("not running under JupyterHub (JUPYTERHUB_API_URL and JUPYTERHUB_API_TOKEN unset)")

// errOff is the reason when the config turns usage off.
var errOff = errors.New("turned off in the infrastructure config (usage.interval: 0)")

// Run refreshes now and then every Interval until ctx ends. A refresh is
// bounded by the interval (and by the page size and user cap), so a slow
// hub never piles them up.
func (w *Watcher) Run(ctx context.Context) {
	for {
		set := w.settings()
		wait := set.Interval
		if set.Interval <= 0 {
			w.fail(errOff)
			wait = time.Minute // look again: the config may turn it on
		} else {
			rctx, cancel := context.WithTimeout(ctx, set.Interval)
			w.Refresh(rctx)
			cancel()
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-w.kick:
			t.Stop()
		case <-t.C:
		}
	}
}

// Kick asks Run to refresh now (after a config change, or from a test).
func (w *Watcher) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Refresh reads the hub once. On failure the previous servers stay, with
// the failure beside them.
func (w *Watcher) Refresh(ctx context.Context) error {
	if w.hub == nil {
		w.fail(errNoHub)
		return errNoHub
	}
	set := w.settings()
	h := *w.hub
	h.PageSize, h.MaxUsers = set.PageSize, set.MaxUsers
	start := w.now()
	servers, err := h.Servers(ctx)
	var trunc *Truncated
	if err != nil && !errors.As(err, &trunc) {
		w.fail(err)
		w.log.Warn("usage: reading the hub's servers failed; pages say usage unknown or show the last figures", "err", err)
		return err
	}
	w.snap.Store(&snapshot{servers: servers, at: w.now(), err: err, failed: w.now()})
	w.log.Info("usage: read the hub's servers", "servers", len(servers), "took", w.now().Sub(start).Round(time.Millisecond))
	return nil
}

func (w *Watcher) fail(err error) {
	old := w.snap.Load()
	w.snap.Store(&snapshot{servers: old.servers, at: old.at, err: err, failed: w.now()})
}

// Report is usage matched to a catalog, with how fresh it is.
type Report struct {
	// Known: the hub has been read at least once; otherwise Problem says
	// why usage is unknown and the tally is empty.
	Known bool
	// AsOf is when the hub was read.
	AsOf time.Time
	// Problem is the newest refresh's failure ("" when it worked).
	Problem string
	*Tally
}

// Report matches the newest servers to catalog c. The result is kept for
// the next caller with the same catalog (the editor decodes each revision
// once), so pages and validation do not tally again per request.
func (w *Watcher) Report(c *model.Catalog) *Report {
	if w == nil {
		return &Report{Problem: errNoHub.Error(), Tally: Count(&model.Catalog{}, nil, time.Now())}
	}
	s := w.snap.Load()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last.snap == s && w.last.catalog == c {
		return w.last.report
	}
	r := &Report{Known: !s.at.IsZero(), AsOf: s.at}
	if s.err != nil {
		r.Problem = s.err.Error()
	}
	at := s.at
	if at.IsZero() {
		at = w.now()
	}
	r.Tally = Count(c, s.servers, at)
	w.last.snap, w.last.catalog, w.last.report = s, c, r
	return r
}
