package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// TestNoLostUpdate: 8 writers × 10 writes through the API, half of them
// with If-Match on the head they read (so some are refused with 412), half
// without (applied to whatever the head is). Every write acknowledged with
// 2xx must be exactly one revision in the history, with its message and
// author, and its content must be in that revision and survive in the head.
func TestNoLostUpdate(t *testing.T) {
	const writers, writes = 8, 10
	c := newTestServer(t)
	for g := range writers {
		c.must(http.StatusCreated, http.MethodPost, "api/v1/images", map[string]any{"slug": fmt.Sprintf("img-%d", g), "ref": fmt.Sprintf("quay.io/org/img-%d:1", g)})
	}
	initial := c.revisions()

	type ack struct {
		id             int64
		writer         int
		value, message string
	}
	var (
		mu         sync.Mutex
		acked      []ack
		stale      int
		conflicts  int
		answers    int
		unexpected []string
		lastValue  = make([]string, writers) // the last acknowledged description per writer
		wg         sync.WaitGroup
	)
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			image := fmt.Sprintf("api/v1/images/img-%d", g)
			for i := range writes {
				value := fmt.Sprintf("writer %d write %d", g, i)
				msg := "describe " + value
				// An If-Match writer does what a script should: on 412,
				// read the head again and retry (a few times).
				for attempt := 0; attempt < 20; attempt++ {
					hdr := []string{"X-Hubprofiles-Message", msg}
					if g%2 == 0 {
						r, err := c.try(http.MethodGet, image, nil)
						if err != nil || r.Status != http.StatusOK {
							mu.Lock()
							unexpected = append(unexpected, fmt.Sprintf("GET %s: %v %v", image, err, r))
							mu.Unlock()
							break
						}
						hdr = append(hdr, "If-Match", r.Header.Get("ETag"))
					}
					r, err := c.try(http.MethodPatch, image, map[string]any{"description": value}, hdr...)
					retry := false
					mu.Lock()
					switch {
					case err != nil:
						unexpected = append(unexpected, fmt.Sprintf("%s: %v", msg, err))
					case r.Status == http.StatusOK:
						id := num(r.JSON, "revision", "id")
						if got := r.Header.Get("ETag"); got != fmt.Sprintf(`"%d"`, id) {
							unexpected = append(unexpected, fmt.Sprintf("%s: ETag %s for revision %d", msg, got, id))
						}
						acked = append(acked, ack{id, g, value, msg})
						lastValue[g] = value
					case r.Status == http.StatusPreconditionFailed && g%2 == 0:
						var e apiError
						if json.Unmarshal(r.Body, &e) != nil || e.Error.Code != "stale" || e.Error.Head == 0 {
							unexpected = append(unexpected, fmt.Sprintf("%s: 412 body %s", msg, r.Body))
						}
						stale++
						retry = true
					case r.Status == http.StatusConflict:
						conflicts++ // other writers kept moving the head
					default:
						unexpected = append(unexpected, fmt.Sprintf("%s: status %d %s", msg, r.Status, r.Body))
					}
					answers++
					mu.Unlock()
					if !retry {
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d acknowledged, %d stale (412), %d conflicts (409)", len(acked), stale, conflicts)
	for _, u := range unexpected {
		t.Errorf("unexpected answer: %s", u)
	}
	if n := len(acked) + stale + conflicts + len(unexpected); n != answers {
		t.Errorf("%d answers classified, %d received", n, answers)
	}
	byKind := [2]int{} // acknowledged without, with If-Match
	for _, a := range acked {
		byKind[1-a.writer%2]++
	}
	t.Logf("acknowledged: %d without If-Match, %d with", byKind[0], byKind[1])
	if byKind[0] == 0 || byKind[1] == 0 {
		t.Errorf("want writes of both kinds acknowledged, got %v", byKind)
	}

	if got, want := c.revisions(), initial+int64(len(acked)); got != want {
		t.Errorf("%d revisions, want %d (%d initial + %d acknowledged)", got, want, initial, len(acked))
	}
	history := map[int64][2]string{} // id → message, author
	for q := "?limit=500"; ; {
		r := c.get("api/v1/revisions" + q)
		for _, rev := range list(r.JSON, "revisions") {
			history[num(rev, "id")] = [2]string{str(rev, "message"), str(rev, "author")}
		}
		if dig(r.JSON, "next_before") == nil {
			break
		}
		q = fmt.Sprintf("?limit=500&before=%d", num(r.JSON, "next_before"))
	}
	seen := map[int64]bool{}
	for _, a := range acked {
		if seen[a.id] {
			t.Errorf("revision %d was acknowledged twice", a.id)
		}
		seen[a.id] = true
		if got := history[a.id]; got != [2]string{a.message, "dev-admin"} {
			t.Errorf("revision %d is %q by %q, but %q was acknowledged as it", a.id, got[0], got[1], a.message)
		}
		// The acknowledged content is in that revision.
		r := c.get(fmt.Sprintf("api/v1/revisions/%d", a.id))
		if got := str(r.JSON, "catalog", "images", a.writer, "description"); got != a.value {
			t.Errorf("revision %d has img-%d description %q, want %q", a.id, a.writer, got, a.value)
		}
	}
	for id := initial + 1; id <= c.revisions(); id++ {
		if !seen[id] {
			t.Errorf("revision %d (%q) was never acknowledged", id, history[id][0])
		}
	}
	// Every writer's last acknowledged value survived.
	for g := range writers {
		r := c.get(fmt.Sprintf("api/v1/images/img-%d", g))
		if got := str(r.JSON, "description"); got != lastValue[g] {
			t.Errorf("img-%d description %q, want its last acknowledged write %q", g, got, lastValue[g])
		}
	}
}
