package server

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// feedCopy is the disk copy of the live feed: what a server that starts
// while the database is down serves until it is back, so that a restarted
// sidecar does not make the hub fall back to its static list. The bodies
// are strings, not embedded JSON, so that they come back byte for byte
// (the ETags are hashes of the bytes).
type feedCopy struct {
	Revision     int64     `json:"revision"`
	Written      time.Time `json:"written"`
	ProfileList  string    `json:"profile_list"`
	ETag         string    `json:"etag"`
	Defaults     string    `json:"defaults"`
	DefaultsETag string    `json:"defaults_etag"`
}

// writeCopy replaces the disk copy with f, atomically (a new file renamed
// over the old, both synced): a crash leaves the old copy or the new one,
// never half of one. A failure is logged; the feed in memory is unaffected.
func (s *Server) writeCopy(f *feed) {
	if s.opts.FeedCopy == "" {
		return
	}
	data, err := json.Marshal(feedCopy{Revision: f.revision, Written: time.Now().UTC(),
		ProfileList: string(f.body), ETag: f.etag, Defaults: string(f.defaults), DefaultsETag: f.defETag})
	if err == nil {
		err = writeAtomic(s.opts.FeedCopy, data)
	}
	if err != nil {
		s.opts.Log.Warn("keeping a copy of the live list on disk failed; a restart while the database is down will serve nothing", "file", s.opts.FeedCopy, "err", err)
	}
}

func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// loadCopy serves the disk copy, if there is a sound one, while nothing is
// in memory.
func (s *Server) loadCopy() {
	if s.opts.FeedCopy == "" {
		return
	}
	f, err := readCopy(s.opts.FeedCopy)
	if os.IsNotExist(err) {
		s.opts.Log.Warn("no disk copy of the live list: profile_list answers 503 until the database is back (the hub keeps its own list)", "file", s.opts.FeedCopy)
		return
	}
	if err != nil {
		s.opts.Log.Error("the disk copy of the live list is unusable: profile_list answers 503 until the database is back", "file", s.opts.FeedCopy, "err", err)
		return
	}
	if s.live.CompareAndSwap(nil, f) {
		s.metrics.liveRevision.Set(float64(f.revision))
		s.opts.Log.Warn("serving the live list from the disk copy until the database is back", "revision", f.revision, "written", f.fromCopy)
	}
}

func readCopy(path string) (*feed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c feedCopy
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	body, defaults := []byte(c.ProfileList), []byte(c.Defaults)
	switch {
	case c.Revision <= 0:
		return nil, fmt.Errorf("%s: no revision", path)
	case etagOf(body) != c.ETag || etagOf(defaults) != c.DefaultsETag:
		return nil, fmt.Errorf("%s: the content does not match its ETag (damaged or edited)", path)
	case !json.Valid(body) || !json.Valid(defaults):
		return nil, fmt.Errorf("%s: the feed is not JSON", path)
	}
	f := newFeed(c.Revision, 0, body, defaults) // the ETags are the ones checked above
	f.fromCopy = c.Written
	return f, nil
}
