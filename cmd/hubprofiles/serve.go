package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jupyterhub/hubprofiles/auth"
	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/examples"
	"github.com/jupyterhub/hubprofiles/infra"
	"github.com/jupyterhub/hubprofiles/profilelist"
	"github.com/jupyterhub/hubprofiles/registry"
	"github.com/jupyterhub/hubprofiles/server"
	"github.com/jupyterhub/hubprofiles/store"
	hubusage "github.com/jupyterhub/hubprofiles/usage"
)

// hubEnv is what JupyterHub tells a service it runs, through the
// environment: the prefix to serve under, and the API and OAuth settings
// of the login (auth.Hub).
type hubEnv struct {
	prefix, apiURL, apiToken, clientID, callbackURL, baseURL, serviceURL, serviceName string
}

func readHubEnv(getenv func(string) string) hubEnv {
	return hubEnv{
		prefix:      getenv("JUPYTERHUB_SERVICE_PREFIX"),
		apiURL:      getenv("JUPYTERHUB_API_URL"),
		apiToken:    getenv("JUPYTERHUB_API_TOKEN"),
		clientID:    getenv("JUPYTERHUB_CLIENT_ID"),
		callbackURL: getenv("JUPYTERHUB_OAUTH_CALLBACK_URL"),
		baseURL:     getenv("JUPYTERHUB_BASE_URL"),
		serviceURL:  getenv("JUPYTERHUB_SERVICE_URL"),
		serviceName: getenv("JUPYTERHUB_SERVICE_NAME"),
	}
}

// configPoll is how often the infrastructure config file is checked for
// changes (a Kubernetes ConfigMap update rewrites it in place).
const configPoll = 10 * time.Second

// imagePoll is how often every image is checked against its registry in
// the background (explicit checks from the API always ask at once).
const imagePoll = 10 * time.Minute

// newChecker sets up registry checks from the infrastructure config. Changes
// to its registries section take effect at the next start.
func newChecker(cfg *infra.Config) (*registry.Checker, error) {
	hosts := make([]registry.Host, 0, len(cfg.Registries))
	for _, r := range cfg.Registries {
		hosts = append(hosts, registry.Host{Name: r.Host, Insecure: r.Insecure})
	}
	c, err := registry.New(registry.Options{Hosts: hosts, DockerConfig: cfg.DockerConfig,
		AllowedRegistries: cfg.Policy.AllowedRegistries, UserAgent: "hubprofiles"})
	if err != nil {
		return nil, fmt.Errorf("registry checks: %w", err)
	}
	return c, nil
}

// livePoll is how often the live revision is re-read, for publications made
// by another process on the same database.
const livePoll = 2 * time.Second

func runServe(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var db dbFlags
	db.register(fs)
	listen := fs.String("listen", "", "address to listen on (default :10101, or 127.0.0.1:10101 with --dev; JUPYTERHUB_SERVICE_URL if set)")
	feedListen := fs.String("feed-listen", defaultFeedListen, `address of the hub's listener: profile_list, defaults, healthz and metrics with no login; "off" for none`)
	prefix := fs.String("prefix", "", "URL prefix of every route (default JUPYTERHUB_SERVICE_PREFIX, else /services/hubprofiles/, or / with --dev)")
	hubURL := fs.String("hub-url", "", "the hub's public URL as browsers reach it, for the login redirect (default: relative to JUPYTERHUB_BASE_URL, right when the service is proxied by the hub)")
	sessionKeyFile := fs.String("session-key-file", "", "file with the key that signs login cookies, created if absent (default: session.key in --data-dir); HUBPROFILES_SESSION_KEY gives the key itself")
	sessionLifetime := fs.Duration("session-lifetime", auth.DefaultSessionLifetime, "how long a login lasts before the browser goes through the hub's login again (HUBPROFILES_SESSION_LIFETIME)")
	logFormat := &choiceFlag{value: "text", allowed: []string{"text", "json"}}
	fs.Var(logFormat, "log-format", "log as text or json")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: hubprofiles serve [--dev] [--listen ADDR] [--database-url URL] [--config FILE]")
		fs.PrintDefaults()
	}
	if _, err := parseFlags(fs, args, e.getenv); err != nil {
		return err
	}
	if *sessionLifetime < time.Minute {
		return &exitError{code: 2, msg: fmt.Sprintf("--session-lifetime %v: a login must last at least 1m", *sessionLifetime)}
	}
	log := newLogger(e, logFormat.value)
	hub := readHubEnv(e.getenv)

	addr := *listen
	if addr == "" {
		addr = listenFromServiceURL(hub.serviceURL)
	}
	if addr == "" {
		addr = ":10101"
		if db.dev {
			addr = "127.0.0.1:10101"
		}
	}
	if db.dev && !loopback(addr) {
		return &exitError{code: 2, msg: fmt.Sprintf("--dev logs everyone in as an admin, so it only listens on loopback; %q is not", addr)}
	}
	feedAddr := *feedListen
	if feedAddr == "off" {
		feedAddr = ""
	}
	if _, port, _ := net.SplitHostPort(feedAddr); feedAddr != "" && feedAddr == addr && port != "0" {
		return &exitError{code: 2, msg: fmt.Sprintf("--feed-listen %q is also --listen: the feed listener serves without login, so it needs an address of its own", feedAddr)}
	}
	p := *prefix
	if p == "" {
		p = hub.prefix
	}
	if p == "" {
		p = "/services/hubprofiles/"
		if db.dev {
			p = "/"
		}
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}

	// The database may be down: the server then starts degraded and
	// prepares it (migrations, the config revision, dev's example) once it
	// answers.
	cfg, err := db.loadConfig()
	if err != nil {
		return err
	}
	s, err := store.Connect(db.url(), store.WithLogger(log))
	if err != nil {
		return fmt.Errorf("opening the database: %w", err)
	}
	defer s.Close()
	ed := edit.New(s, cfg, log)
	prepare := func(ctx context.Context) error {
		if err := s.Migrate(ctx); err != nil {
			return err
		}
		if _, err := ed.SetConfig(ctx, ed.Config()); err != nil {
			return fmt.Errorf("recording the infrastructure config: %w", err)
		}
		if db.dev {
			return seedExample(ctx, ed, log)
		}
		return nil
	}
	var ident auth.Identifier = auth.Anonymous{}
	switch {
	case db.dev:
		log.Warn("DEV MODE: everyone who reaches this server is logged in as the local admin " + auth.DevUser.Name + "; it listens on loopback only")
		ident = auth.Dev{}
	case hub.apiURL != "" && hub.apiToken != "":
		key, err := auth.LoadOrCreateKey(e.getenv("HUBPROFILES_SESSION_KEY"), sessionKeyPath(*sessionKeyFile, db))
		if err != nil {
			return fmt.Errorf("session key: %w", err)
		}
		cfg := hubConfig(hub, *hubURL, p)
		cfg.SessionLifetime = *sessionLifetime
		if cfg.ServiceName == "" {
			return &exitError{code: 2, msg: "cannot tell this service's name at the hub: set JUPYTERHUB_SERVICE_NAME (tokens must carry access:services!service=<name>)"}
		}
		ident = auth.NewHub(cfg, key, p, log)
		log.Info("JupyterHub login", "hub_api", hub.apiURL, "client_id", hub.clientID, "service", cfg.ServiceName, "session_lifetime", cfg.SessionLifetime)
	default:
		log.Warn("not running under JupyterHub (JUPYTERHUB_API_URL and JUPYTERHUB_API_TOKEN unset) and not --dev: nobody can log in; only the feed listener serves profile_list, defaults and metrics, and the public listener answers 401 but for healthz")
	}

	images, err := newChecker(ed.Config())
	if err != nil {
		return err
	}
	if images != nil {
		ed.SetImageChecker(images) // validation warns about images the registry says are missing
	}
	srv, err := server.New(ctx, server.Options{Prefix: p, Editor: ed, Identify: ident, Images: images, Log: log,
		Prepare: prepare, FeedCopy: filepath.Join(db.dir(), feedCopyFile), Version: version})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	servers := []*http.Server{{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}}
	listeners := []net.Listener{ln}
	if feedAddr != "" {
		fln, err := net.Listen("tcp", feedAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("feed listener (--feed-listen): %w", err)
		}
		if !loopback(feedAddr) {
			log.Warn("the feed listener serves profile_list, defaults and metrics without login on a non-loopback address: make sure only the hub can reach it", "feed_listen", fln.Addr().String())
		}
		servers = append(servers, &http.Server{Handler: srv.FeedHandler(), ReadHeaderTimeout: 10 * time.Second})
		listeners = append(listeners, fln)
	}
	go srv.Watch(ctx, livePoll)
	go srv.WatchImages(ctx, imagePoll)
	if hub.apiURL != "" && hub.apiToken != "" && !db.dev {
		go newUsageWatcher(hub, ed, log).Run(ctx)
	}
	if db.config != "" {
		go watchConfig(ctx, db, ed, log)
	}
	errc := make(chan error, len(servers))
	for i := range servers {
		go func() { errc <- servers[i].Serve(listeners[i]) }()
	}
	attrs := []any{"listen", ln.Addr().String(), "prefix", p, "database", s.Dialect(), "url", fmt.Sprintf("http://%s%s", ln.Addr(), p)}
	if len(listeners) > 1 {
		attrs = append(attrs, "feed_listen", listeners[1].Addr().String(), "hub_feed_url", fmt.Sprintf("http://%s%sprofile_list", listeners[1].Addr(), p))
	}
	if degraded, _ := srv.Degraded(); degraded {
		attrs = append(attrs, "degraded", true)
	}
	log.Info("hubprofiles is ready", attrs...)
	releaseStartupPages(log)

	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, hs := range servers {
		if err := hs.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) && serveErr == nil {
			serveErr = err
		}
	}
	return serveErr
}

// newUsageWatcher reads who uses what from the hub with the service's own
// token, in the background, at the infrastructure config's usage.interval
// (re-read at every refresh), and gives it to the editor.
func newUsageWatcher(hub hubEnv, ed *edit.Editor, log *slog.Logger) *hubusage.Watcher {
	settings := func() hubusage.Settings {
		u := ed.Config().Usage
		return hubusage.Settings{Interval: u.Interval, PageSize: u.PageSize, MaxUsers: u.MaxUsers}
	}
	w := hubusage.NewWatcher(&hubusage.Hub{APIURL: hub.apiURL, Token: hub.apiToken, Client: &http.Client{Timeout: 30 * time.Second}}, settings, log)
	ed.SetUsage(w)
	return w
}

// defaultFeedListen is where the hub-side module in the same pod reads the
// feeds (the chart's and docs' URL: http://127.0.0.1:10102/services/hubprofiles/profile_list).
const defaultFeedListen = "127.0.0.1:10102"

// feedCopyFile, in --data-dir, keeps the live feed for a start while the
// database is down.
const feedCopyFile = "live-feed.json"

// hubConfig maps the service environment to the OAuth settings.
func hubConfig(hub hubEnv, publicURL, prefix string) auth.HubConfig {
	clientID := hub.clientID
	callback := hub.callbackURL
	if callback == "" {
		callback = prefix + "oauth_callback"
	}
	authorize := strings.TrimSuffix(publicURL, "/")
	if authorize == "" {
		base := hub.baseURL
		if base == "" {
			base = "/"
		}
		authorize = strings.TrimSuffix(base, "/")
	}
	return auth.HubConfig{APIURL: hub.apiURL, AuthorizeURL: authorize + "/hub/api/oauth2/authorize",
		ClientID: clientID, ClientSecret: hub.apiToken, CallbackURL: callback, Timeout: 5 * time.Second,
		ServiceName: auth.ServiceName(hub.serviceName, clientID, prefix)}
}

func sessionKeyPath(flagValue string, db dbFlags) string {
	if flagValue != "" {
		return flagValue
	}
	return filepath.Join(db.dir(), "session.key")
}

func newLogger(e env, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, nil))
	}
	return slog.New(slog.NewTextHandler(e.stderr, nil))
}

// listenFromServiceURL takes host:port from JUPYTERHUB_SERVICE_URL, which is
// where the hub's proxy sends the service's traffic.
func listenFromServiceURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), "80")
	}
	return u.Host
}

func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// seedExample gives an empty dev database the example list, published, so
// the first page has something in it.
func seedExample(ctx context.Context, ed *edit.Editor, log *slog.Logger) error {
	head, err := ed.Head(ctx)
	if err != nil {
		return err
	}
	if head.Revision != nil || head.Skipped != nil { // never seed over a database that holds revisions
		return nil
	}
	src, err := profilelist.Parse(examples.ProfileList, profilelist.DefaultLimits)
	if err != nil {
		return fmt.Errorf("the bundled example: %w", err)
	}
	res, err := ed.Import(ctx, src, edit.Change{Base: edit.NoBase, Author: "system:dev-example",
		Message: "the example catalog of dev mode", Publish: true, Operator: true})
	if err != nil {
		return fmt.Errorf("the bundled example: %w", err)
	}
	log.Info("empty database: imported and published the example catalog", "revision", res.Revision.ID)
	return nil
}

// watchConfig re-reads the infrastructure config when its file changes. A
// broken new version is logged and ignored: the old one stays in force.
func watchConfig(ctx context.Context, db dbFlags, ed *edit.Editor, log *slog.Logger) {
	last, _ := os.ReadFile(db.config)
	t := time.NewTicker(configPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		data, err := os.ReadFile(db.config)
		if err != nil || bytes.Equal(data, last) {
			continue
		}
		last = data
		cfg, err := db.loadConfig()
		if err != nil {
			log.Error("the infrastructure config changed but is invalid; keeping the previous one", "err", err)
			continue
		}
		res, err := ed.SetConfig(ctx, cfg)
		if err != nil {
			log.Error("recording the new infrastructure config", "err", err)
			continue
		}
		if res != nil {
			log.Info("infrastructure config changed", "revision", res.Revision.ID)
		} else {
			log.Info("infrastructure config reloaded")
		}
	}
}
