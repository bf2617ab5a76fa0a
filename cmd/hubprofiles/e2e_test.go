//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jupyterhub/hubprofiles/internal/proc"
)

// TestCrashSafety runs the real binary, writes to it from several clients
// at once, kills it with SIGKILL mid-load and starts it again on the same
// SQLite database, three times. Every write the server acknowledged must
// survive with its content, the revision ids must stay contiguous, verify
// must find the hash chain intact, and the restarted server must take writes.
// A write refused with a conflict must have left no trace, and the only
// revisions nobody was told about are the few requests in flight at a stop.
// Last, SIGTERM under load must stop it cleanly (exit 0) without losing
// acknowledged writes either.
func TestCrashSafety(t *testing.T) {
	bin := e2eBuild(t)
	dataDir := t.TempDir()

	lg := &e2eLedger{refused: map[string]bool{}}
	srv := e2eStart(t, bin, dataDir)
	images := srv.imageSlugs(t)

	const crashes = 3
	for cycle := 1; cycle <= crashes; cycle++ {
		load := e2eStartLoad(t, srv, images, cycle)
		// Kill once the clients have seen e2eKillAfter writes acknowledged
		// in this cycle: the writers keep going meanwhile, so the kill lands
		// mid-stream however fast or slow the machine is.
		load.waitAcked(t, srv, e2eKillAfter)
		load.stopping.Store(true)
		srv.kill(t)
		load.wait()
		lg.add(load)
		if len(load.acked) == 0 {
			t.Fatalf("crash %d: no write was acknowledged before the kill\n%s", cycle, srv.logTail())
		}
		t.Logf("crash %d: %d writes acknowledged, %d refused as conflicts, then SIGKILL", cycle, len(load.acked), len(load.refused))
		if ref := load.firstRef.Load(); ref != nil {
			t.Logf("first refusal: %s", ref)
		}

		srv = e2eStart(t, bin, dataDir)
		e2eCheckHistory(t, srv, lg)
		e2eVerify(t, bin, dataDir)
		lg.acked = append(lg.acked, srv.write(t, images[0], fmt.Sprintf("after crash %d", cycle)))
	}

	// SIGTERM with writers running: a clean exit, nothing acknowledged lost.
	load := e2eStartLoad(t, srv, images, crashes+1)
	load.waitAcked(t, srv, e2eKillAfter)
	load.stopping.Store(true)
	srv.terminate(t)
	load.wait()
	lg.add(load)
	e2eVerify(t, bin, dataDir)

	srv = e2eStart(t, bin, dataDir)
	e2eCheckHistory(t, srv, lg)
	lg.acked = append(lg.acked, srv.write(t, images[0], "after SIGTERM"))
	srv.terminate(t) // idle this time
	e2eVerify(t, bin, dataDir)

	// Each server logged the chain head after every write it committed (the
	// witnesses kept outside the database); the last one logged is the
	// database's head, and verify --expect finds it.
	logged := 0
	logs, _ := filepath.Glob(filepath.Join(dataDir, "serve-*.log"))
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		logged += len(e2eWriteHead.FindAll(b, -1))
	}
	if logged < len(lg.acked) {
		t.Errorf("the servers logged %d chain heads after writes, but %d writes were acknowledged", logged, len(lg.acked))
	}
	last := e2eWriteHead.FindAllSubmatch(srv.log(), -1)
	if len(last) == 0 {
		t.Fatalf("the last server logged no chain head\n%s", srv.logTail())
	}
	e2eVerify(t, bin, dataDir, "--expect", string(last[len(last)-1][1]))
	t.Logf("%d acknowledged and %d refused writes checked across %d crashes and 2 clean stops", len(lg.acked), len(lg.refused), crashes)
}

// e2eLedger is what the clients were told: writes acknowledged, writes
// refused, and how many writes may have committed without an answer (those
// in flight when a server stopped).
type e2eLedger struct {
	acked    []e2eWrite
	refused  map[string]bool // descriptions of refused writes
	inFlight int
}

func (lg *e2eLedger) add(l *e2eLoad) {
	lg.acked = append(lg.acked, l.acked...)
	for _, d := range l.refused {
		lg.refused[d] = true
	}
	lg.inFlight += e2eWriters
}

// e2eWrite is a write the server answered 200 to: revision id and the
// description it set on an image.
type e2eWrite struct {
	id          int64
	image, desc string
}

func e2eBuild(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go") // go test puts GOROOT/bin first on PATH
	if err != nil {
		t.Fatalf("the go command is needed to build the binary: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "hubprofiles")
	out, err := proc.Run(exec.Command(goTool, "build", "-o", bin, "."), 10*time.Minute)
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// e2eEnv is the test's environment without HUBPROFILES_* settings, which
// would change the flags.
func e2eEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HUBPROFILES_") && !strings.HasPrefix(kv, "JUPYTERHUB_") {
			env = append(env, kv)
		}
	}
	return env
}

// server is one running hubprofiles process.
type e2eServer struct {
	proc    *proc.Process
	base    string // http://127.0.0.1:PORT/
	logPath string
	client  *http.Client
}

var e2eReadyLine = regexp.MustCompile(`msg="hubprofiles is ready" listen=(\S+)`)

// e2eStart starts serve --dev (with the extra flags) on a port the kernel
// picks and waits until healthz answers 200.
func e2eStart(t *testing.T, bin, dataDir string, extra ...string) *e2eServer {
	t.Helper()
	logFile, err := os.CreateTemp(dataDir, "serve-*.log")
	if err != nil {
		t.Fatal(err)
	}
	logFile.Close()
	cmd := exec.Command(bin, append([]string{"serve", "--dev", "--listen", "127.0.0.1:0", "--feed-listen", "127.0.0.1:0", "--data-dir", dataDir}, extra...)...)
	cmd.Env = e2eEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p, err := proc.Start(cmd, logFile.Name())
	if err != nil {
		t.Fatal(err)
	}
	s := &e2eServer{proc: p, logPath: logFile.Name(),
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}}
	t.Cleanup(func() {
		if err := p.Kill(); err != nil {
			t.Error(err)
		}
		s.client.CloseIdleConnections()
	})
	err = p.WaitReady(20*time.Millisecond, func() error {
		if s.base == "" {
			m := e2eReadyLine.FindSubmatch(s.log())
			if m == nil {
				return fmt.Errorf("no %q line in the log yet", "hubprofiles is ready")
			}
			s.base = "http://" + string(m[1]) + "/"
		}
		resp, err := s.client.Get(s.base + "healthz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("healthz: %s", resp.Status)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("serve: %v", err)
	}
	return s
}

func (s *e2eServer) log() []byte {
	b, _ := os.ReadFile(s.logPath)
	return b
}

// logTail is the end of the server's log, for failure messages.
func (s *e2eServer) logTail() string { return s.proc.LogTail() }

func (s *e2eServer) kill(t *testing.T) {
	t.Helper()
	if err := s.proc.Kill(); err != nil {
		t.Fatal(err)
	}
	s.client.CloseIdleConnections()
}

// e2eStopGrace is how long serve may take to exit after SIGTERM: its own
// shutdown timeout, with room for a loaded machine.
const e2eStopGrace = 30 * time.Second

// terminate sends SIGTERM and wants exit status 0 within e2eStopGrace.
func (s *e2eServer) terminate(t *testing.T) {
	t.Helper()
	start := time.Now()
	if err := s.proc.Stop(syscall.SIGTERM, e2eStopGrace); err != nil {
		t.Fatalf("serve after SIGTERM: %v", err)
	}
	if code := s.proc.ExitCode(); code != 0 {
		t.Fatalf("serve exited with status %d after SIGTERM, want 0\n%s", code, s.logTail())
	}
	if !bytes.Contains(s.log(), []byte("shutting down")) {
		t.Errorf("serve exited 0 on SIGTERM but never logged its shutdown\n%s", s.logTail())
	}
	t.Logf("SIGTERM: exit 0 after %v", time.Since(start).Round(time.Millisecond))
	s.client.CloseIdleConnections()
}

func (s *e2eServer) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	resp, err := s.client.Get(s.base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", path, resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, body)
	}
}

func (s *e2eServer) imageSlugs(t *testing.T) []string {
	t.Helper()
	var body struct {
		Images []struct {
			Slug string `json:"slug"`
		} `json:"images"`
	}
	s.getJSON(t, "api/v1/images", &body)
	if len(body.Images) == 0 {
		t.Fatal("the dev example catalog has no images")
	}
	var slugs []string
	for _, im := range body.Images {
		slugs = append(slugs, im.Slug)
	}
	return slugs
}

// patch sets an image's description and returns the new revision's id on a
// 200; status is the HTTP status (0 when no answer came).
func (s *e2eServer) patch(image, desc string) (id int64, status int, err error) {
	body, _ := json.Marshal(map[string]string{"description": desc})
	req, _ := http.NewRequest(http.MethodPatch, s.base+"api/v1/images/"+image, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, resp.StatusCode, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, resp.StatusCode, fmt.Errorf("PATCH %s: %s: %s", image, resp.Status, data)
	}
	var out struct {
		Revision struct {
			ID int64 `json:"id"`
		} `json:"revision"`
	}
	if err := json.Unmarshal(data, &out); err != nil || out.Revision.ID <= 0 {
		return 0, resp.StatusCode, fmt.Errorf("PATCH %s: 200 without a revision id (%v): %s", image, err, data)
	}
	return out.Revision.ID, resp.StatusCode, nil
}

// write is one write that must succeed.
func (s *e2eServer) write(t *testing.T, image, desc string) e2eWrite {
	t.Helper()
	id, _, err := s.patch(image, desc)
	if err != nil {
		t.Fatalf("write after restart: %v\n%s", err, s.logTail())
	}
	return e2eWrite{id: id, image: image, desc: desc}
}

// e2eLoad is writers running against one server.
type e2eLoad struct {
	stopping atomic.Bool  // set just before the server is stopped
	firstRef atomic.Value // the first refusal's error, for the log
	wg       sync.WaitGroup
	mu       sync.Mutex
	acked    []e2eWrite
	refused  []string // descriptions of writes refused with 409/412
}

const e2eWriters = 4

// e2eStartLoad starts e2eWriters goroutines that PATCH image descriptions,
// each with a unique value, as fast as the server answers, until a request
// fails after stopping is set. Before that, a failure is the test's.
func e2eStartLoad(t *testing.T, s *e2eServer, images []string, cycle int) *e2eLoad {
	l := &e2eLoad{}
	for w := range e2eWriters {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for n := 0; ; n++ {
				image := images[(w+n)%len(images)]
				desc := fmt.Sprintf("cycle %d writer %d write %d", cycle, w, n)
				id, status, err := s.patch(image, desc)
				if err == nil {
					l.mu.Lock()
					l.acked = append(l.acked, e2eWrite{id: id, image: image, desc: desc})
					l.mu.Unlock()
					continue
				}
				if l.stopping.Load() {
					return // the server is going away: expected
				}
				if status == http.StatusConflict || status == http.StatusPreconditionFailed {
					// Without If-Match the server retries a moved head a few
					// times, then gives up; counted, not a crash-safety failure.
					l.mu.Lock()
					l.refused = append(l.refused, desc)
					l.mu.Unlock()
					l.firstRef.CompareAndSwap(nil, err.Error())
					continue
				}
				t.Errorf("writer %d before the server was stopped: %v", w, err)
				return
			}
		}()
	}
	return l
}

func (l *e2eLoad) wait() { l.wg.Wait() }

// e2eKillAfter is how many writes the clients must have seen acknowledged
// in a cycle before the server is stopped.
const e2eKillAfter = 40

// waitAcked waits until n writes of this load were acknowledged, polling
// what the clients were told (bounded by proc.StartTimeout, for a loaded
// machine); a writer that failed meanwhile ends the wait.
func (l *e2eLoad) waitAcked(t *testing.T, s *e2eServer, n int) {
	t.Helper()
	deadline := time.Now().Add(proc.StartTimeout)
	for {
		l.mu.Lock()
		got := len(l.acked)
		l.mu.Unlock()
		if got >= n {
			return
		}
		if t.Failed() || time.Now().After(deadline) {
			l.stopping.Store(true)
			t.Fatalf("only %d of %d writes acknowledged after %s\n%s", got, n, proc.StartTimeout, s.logTail())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type e2eRevision struct {
	ID       int64 `json:"id"`
	ParentID int64 `json:"parent_id"`
}

// e2eCheckHistory wants revision ids 1..head without a gap, each the child of
// the one before; every acknowledged write present with its content; no
// trace of a refused write; and no more unacknowledged revisions than
// requests were in flight at the stops.
func e2eCheckHistory(t *testing.T, s *e2eServer, lg *e2eLedger) {
	t.Helper()
	var ids []e2eRevision
	path := "api/v1/revisions?limit=500"
	for {
		var page struct {
			Revisions  []e2eRevision `json:"revisions"`
			NextBefore int64         `json:"next_before"`
		}
		s.getJSON(t, path, &page)
		ids = append(ids, page.Revisions...)
		if page.NextBefore == 0 {
			break
		}
		path = fmt.Sprintf("api/v1/revisions?limit=500&before=%d", page.NextBefore)
	}
	if len(ids) == 0 {
		t.Fatal("no revisions after restart")
	}
	head := ids[0].ID
	if int64(len(ids)) != head {
		t.Errorf("head is revision %d but %d revisions are listed", head, len(ids))
	}
	for i, r := range ids {
		if want := head - int64(i); r.ID != want {
			t.Fatalf("revision list position %d: id %d, want %d (ids not contiguous, or not newest first)", i, r.ID, want)
		}
		if r.ID > 1 && r.ParentID != r.ID-1 {
			t.Errorf("revision %d: parent %d, want %d", r.ID, r.ParentID, r.ID-1)
		}
	}

	acked := map[int64]e2eWrite{}
	for _, a := range lg.acked {
		if prev, dup := acked[a.id]; dup {
			t.Errorf("revision %d acknowledged twice: %q and %q", a.id, prev.desc, a.desc)
		}
		acked[a.id] = a
		if a.id > head {
			t.Errorf("acknowledged revision %d (%q) is gone: head is %d", a.id, a.desc, head)
		}
	}
	unacked := 0
	for id := int64(2); id <= head; id++ { // 1 is the dev example
		var rev struct {
			Catalog struct {
				Images []struct {
					Slug        string `json:"slug"`
					Description string `json:"description"`
				} `json:"images"`
			} `json:"catalog"`
		}
		s.getJSON(t, fmt.Sprintf("api/v1/revisions/%d", id), &rev)
		desc := map[string]string{}
		for _, im := range rev.Catalog.Images {
			desc[im.Slug] = im.Description
			if lg.refused[im.Description] {
				t.Errorf("revision %d: image %s has the description %q of a write that was refused", id, im.Slug, im.Description)
			}
		}
		a, ok := acked[id]
		if !ok {
			unacked++
			continue
		}
		if got, found := desc[a.image]; !found {
			t.Errorf("revision %d: image %s is missing", id, a.image)
		} else if got != a.desc {
			t.Errorf("revision %d: image %s has description %q, want the acknowledged %q", id, a.image, got, a.desc)
		}
	}
	if unacked > lg.inFlight {
		t.Errorf("%d revisions were never acknowledged, but at most %d writes were in flight at the stops", unacked, lg.inFlight)
	}

	// The feed serves the live list again.
	resp, err := s.client.Get(s.base + "profile_list")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !json.Valid(body) || resp.Header.Get("ETag") == "" {
		t.Errorf("profile_list after restart: %s, ETag %q, valid JSON %v", resp.Status, resp.Header.Get("ETag"), json.Valid(body))
	}
}

// e2eWriteHead matches the chain head a server logs after a write.
var e2eWriteHead = regexp.MustCompile(`msg="history chain head" chain_head=(\d+:[0-9a-f]{64}) revision=`)

// e2eVerify wants hubprofiles verify to find the database intact.
func e2eVerify(t *testing.T, bin, dataDir string, flags ...string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"verify", "--data-dir", dataDir}, flags...)...)
	cmd.Env = e2eEnv()
	out, err := proc.Run(cmd, proc.StartTimeout)
	if err != nil || !bytes.HasPrefix(out, []byte("ok: ")) {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	t.Logf("verify: %s", bytes.TrimSpace(out))
}
