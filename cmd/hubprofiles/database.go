package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/infra"
	"github.com/jupyterhub/hubprofiles/store"
)

// dbFlags are the flags every command on the database shares.
type dbFlags struct {
	dev         bool
	databaseURL string
	dataDir     string
	config      string
}

func (f *dbFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.dev, "dev", false, "development mode: loopback only, everyone is a local admin, database in the working directory")
	fs.StringVar(&f.databaseURL, "database-url", "", "postgres://... or a SQLite file (default: hubprofiles.db in --data-dir)")
	fs.StringVar(&f.dataDir, "data-dir", "", "directory of the default SQLite database (default: the working directory with --dev, /srv/hubprofiles otherwise)")
	fs.StringVar(&f.config, "config", "", "the infrastructure config file (YAML): node groups, policy, registries, access")
}

// dir is the data directory: the default database and the session key.
func (f *dbFlags) dir() string {
	switch {
	case f.dataDir != "":
		return f.dataDir
	case f.dev:
		return "."
	}
	return "/srv/hubprofiles"
}

// url is the database to open.
func (f *dbFlags) url() string {
	if f.databaseURL != "" {
		return f.databaseURL
	}
	return filepath.Join(f.dir(), "hubprofiles.db")
}

// loadConfig reads the infrastructure config; no file is an empty config.
func (f *dbFlags) loadConfig() (*infra.Config, error) {
	if f.config == "" {
		return &infra.Config{}, nil
	}
	data, err := os.ReadFile(f.config)
	if err != nil {
		return nil, fmt.Errorf("infrastructure config: %w", err)
	}
	cfg, err := infra.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.config, err)
	}
	return cfg, nil
}

// open opens the store and an editor on it with the config applied.
func (f *dbFlags) open(ctx context.Context, log *slog.Logger) (*store.Store, *edit.Editor, error) {
	cfg, err := f.loadConfig()
	if err != nil {
		return nil, nil, err
	}
	// The store logs the history chain head after every write: the
	// witnesses that verify --expect checks.
	s, err := store.Open(ctx, f.url(), store.WithLogger(log))
	if err != nil {
		return nil, nil, fmt.Errorf("opening the database: %w", err)
	}
	ed := edit.New(s, cfg, log)
	if _, err := ed.SetConfig(ctx, cfg); err != nil {
		s.Close()
		return nil, nil, fmt.Errorf("recording the infrastructure config: %w", err)
	}
	return s, ed, nil
}

// openStoreOnly opens the store without touching its content (verify must
// not write a revision before checking).
func openStoreOnly(ctx context.Context, f dbFlags) (*store.Store, error) {
	s, err := store.Open(ctx, f.url())
	if err != nil {
		return nil, fmt.Errorf("opening the database: %w", err)
	}
	return s, nil
}
