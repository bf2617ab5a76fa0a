// Package testregistry runs real OCI registries for tests: Debian's
// docker-registry (the CNCF distribution registry, 2.8), plain HTTP on a free
// 127.0.0.1 port, with its storage in a temporary directory, open or with
// htpasswd authentication. There is no mock and no skip: when the binary is
// missing the test fails and says what to install.
//
// Start gives a test a registry of its own. Shared and SharedAuth give it
// the test binary's one open or authenticated registry, which is faster; a
// package that uses them runs its tests through Run from TestMain, so that
// the registries stop when the tests end:
//
//	func TestMain(m *testing.M) { os.Exit(testregistry.Run(m)) }
//
// Push puts a small image into a registry with regclient. Hanging and
// Stopped give addresses of registries that misbehave: one that accepts
// connections and never answers, one where nothing listens. NewProxy counts
// the requests that reach a registry and how many run at once.
package testregistry

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/regclient/regclient"
	"github.com/regclient/regclient/config"
	"github.com/regclient/regclient/scheme/reg"
	"github.com/regclient/regclient/types/descriptor"
	"github.com/regclient/regclient/types/manifest"
	"github.com/regclient/regclient/types/mediatype"
	"github.com/regclient/regclient/types/oci"
	v1 "github.com/regclient/regclient/types/oci/v1"
	"github.com/regclient/regclient/types/ref"
	"golang.org/x/crypto/bcrypt"

	"github.com/jupyterhub/hubprofiles/internal/proc"
)

// Binary is where Debian's docker-registry package installs the registry.
const Binary = "/usr/bin/docker-registry"

// installHint is what a developer without the registry should run.
const installHint = "apt-get install -y --no-install-recommends docker-registry (or scripts/install-deps)"

// The credentials of SharedAuth's registry.
const (
	User     = "tester"
	Password = "s3cret"
)

// Options configure a registry.
type Options struct {
	// User and Password, when set, turn on htpasswd authentication with
	// this one account.
	User, Password string
}

// Registry is one running registry.
type Registry struct {
	Host           string // 127.0.0.1:port, plain HTTP
	User, Password string // "" for an open registry

	dir  string // owns config.yml, htpasswd, data/ and registry.log
	proc *proc.Process
	stop sync.Once
}

// Start starts a registry of the test's own. It stops, and its files are
// removed, in t.Cleanup.
func Start(t testing.TB, opts Options) *Registry {
	t.Helper()
	r, err := start(opts)
	if err != nil {
		t.Fatalf("testregistry: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Stop(); err != nil {
			t.Errorf("testregistry: %v", err)
		}
	})
	return r
}

// shared holds the registries that Shared and SharedAuth hand out. It is
// package state because a test binary has one TestMain; Run owns it.
var shared struct {
	running atomic.Bool // Run is wrapping the tests
	mu      sync.Mutex
	regs    map[Options]*Registry
}

// Run runs the tests, then stops the registries Shared and SharedAuth
// started. Call it from TestMain and pass its result to os.Exit.
func Run(m *testing.M) int {
	shared.running.Store(true)
	code := m.Run()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	for _, r := range shared.regs {
		if err := r.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "testregistry: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// Shared returns the test binary's open registry, starting it on first use.
// Tests share it: each should push to repositories of its own. The test
// package's TestMain must call Run.
func Shared(t testing.TB) *Registry {
	t.Helper()
	return sharedRegistry(t, Options{})
}

// SharedAuth returns the test binary's registry with htpasswd
// authentication (User, Password), starting it on first use.
func SharedAuth(t testing.TB) *Registry {
	t.Helper()
	return sharedRegistry(t, Options{User: User, Password: Password})
}

func sharedRegistry(t testing.TB, opts Options) *Registry {
	t.Helper()
	if !shared.running.Load() {
		t.Fatal("testregistry: Shared needs TestMain to call testregistry.Run, which stops the registries")
	}
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if r, ok := shared.regs[opts]; ok {
		return r
	}
	r, err := start(opts)
	if err != nil {
		t.Fatalf("testregistry: %v", err)
	}
	if shared.regs == nil {
		shared.regs = map[Options]*Registry{}
	}
	shared.regs[opts] = r
	return r
}

// Stop stops the registry (SIGTERM, then SIGKILL to its process group
// after 10 s) and removes its files. Stopping twice is harmless.
func (r *Registry) Stop() error {
	var errs []error
	r.stop.Do(func() {
		if err := r.proc.Stop(syscall.SIGTERM, 10*time.Second); err != nil {
			errs = append(errs, fmt.Errorf("registry %s: %w", r.Host, err))
		}
		if err := os.RemoveAll(r.dir); err != nil {
			errs = append(errs, err)
		}
	})
	return errors.Join(errs...)
}

// Log returns the end of what the registry wrote.
func (r *Registry) Log() string { return r.proc.LogTail() }

// start writes a registry's configuration and starts it, trying a few ports.
func start(opts Options) (*Registry, error) {
	if fi, err := os.Stat(Binary); err != nil || fi.IsDir() {
		return nil, fmt.Errorf("%s not found: %s", Binary, installHint)
	}
	if (opts.User == "") != (opts.Password == "") {
		return nil, fmt.Errorf("Options need both User and Password, or neither")
	}
	dir, err := os.MkdirTemp("", "testregistry-")
	if err != nil {
		return nil, err
	}
	if opts.User != "" {
		// Cost 4: the registry checks the hash on every request, which
		// takes 70-86 ms at the default cost 10 and 2-12 ms at 4.
		hash, err := bcrypt.GenerateFromPassword([]byte(opts.Password), 4)
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		line := opts.User + ":" + string(hash) + "\n"
		if err := os.WriteFile(filepath.Join(dir, "htpasswd"), []byte(line), 0o600); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	var lastErr error
	for range 3 {
		r, err := run(dir, opts)
		if err == nil {
			return r, nil
		}
		lastErr = err
	}
	os.RemoveAll(dir)
	return nil, lastErr
}

// configYAML is the registry's configuration: plain HTTP (no tls section),
// no debug server, no access log, deletes allowed, and htpasswd when %[4]s
// is set. A fixed http.secret keeps it from warning at start-up.
const configYAML = `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %[1]s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %[2]s
  secret: testregistry
health:
  storagedriver:
    enabled: false
%[3]s`

// run starts the registry on a free port and waits until GET /v2/ answers.
func run(dir string, opts Options) (*Registry, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	host := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	auth := ""
	if opts.User != "" {
		auth = fmt.Sprintf("auth:\n  htpasswd:\n    realm: testregistry\n    path: %s\n", filepath.Join(dir, "htpasswd"))
	}
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, configYAML, filepath.Join(dir, "data"), host, auth), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(Binary, "serve", cfg)
	cmd.Dir = dir
	// If the test binary dies (a panic, a -timeout), take the registry
	// with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p, err := proc.Start(cmd, filepath.Join(dir, "registry.log"))
	if err != nil {
		return nil, err
	}
	r := &Registry{Host: host, User: opts.User, Password: opts.Password, dir: dir, proc: p}

	// An open registry answers 200, one with authentication 401.
	client := &http.Client{Timeout: 5 * time.Second}
	err = p.WaitReady(10*time.Millisecond, func() error {
		resp, err := client.Get("http://" + host + "/v2/")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusUnauthorized {
			return fmt.Errorf("GET /v2/: %s", resp.Status)
		}
		return nil
	})
	if err != nil {
		_ = p.Kill()
		return nil, fmt.Errorf("docker-registry: %w", err)
	}
	return r, nil
}

// freePort asks the kernel for a free loopback port. Another process may
// take it before the registry binds it; start then tries again.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Push pushes a small image (one layer with one file) to host/repo:tag over
// plain HTTP and returns its manifest digest. creds are a user and a
// password. The image records repo and tag, so each pushed image has a
// digest of its own.
func Push(t testing.TB, host, repo, tag string, creds ...string) string {
	t.Helper()
	d, err := push(context.Background(), host, repo, tag, creds...)
	if err != nil {
		t.Fatalf("testregistry: push %s/%s:%s: %v", host, repo, tag, err)
	}
	return d
}

func push(ctx context.Context, host, repo, tag string, creds ...string) (string, error) {
	ch := config.Host{Name: host, TLS: config.TLSDisabled}
	switch len(creds) {
	case 0:
	case 2:
		ch.User, ch.Pass = creds[0], creds[1]
	default:
		return "", fmt.Errorf("creds are a user and a password, got %d strings", len(creds))
	}
	rc := regclient.New(regclient.WithConfigHost(ch), regclient.WithRegOpts(reg.WithRetryLimit(2)))
	r, err := ref.New(host + "/" + repo + ":" + tag)
	if err != nil {
		return "", err
	}
	defer rc.Close(ctx, r)

	layerTar, err := tarFile("hello.txt", fmt.Sprintf("hello from %s:%s\n", repo, tag))
	if err != nil {
		return "", err
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(layerTar); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	conf, err := json.Marshal(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"config":       map[string]any{"Labels": map[string]string{"testregistry.ref": repo + ":" + tag}},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{digest.FromBytes(layerTar).String()}},
	})
	if err != nil {
		return "", err
	}
	confDesc := descriptor.Descriptor{MediaType: mediatype.OCI1ImageConfig, Digest: digest.FromBytes(conf), Size: int64(len(conf))}
	layerDesc := descriptor.Descriptor{MediaType: mediatype.OCI1LayerGzip, Digest: digest.FromBytes(gz.Bytes()), Size: int64(gz.Len())}
	if _, err := rc.BlobPut(ctx, r, confDesc, bytes.NewReader(conf)); err != nil {
		return "", fmt.Errorf("config blob: %w", err)
	}
	if _, err := rc.BlobPut(ctx, r, layerDesc, bytes.NewReader(gz.Bytes())); err != nil {
		return "", fmt.Errorf("layer blob: %w", err)
	}
	m, err := manifest.New(manifest.WithOrig(v1.Manifest{
		Versioned: oci.Versioned{SchemaVersion: 2},
		MediaType: mediatype.OCI1Manifest,
		Config:    confDesc,
		Layers:    []descriptor.Descriptor{layerDesc},
	}))
	if err != nil {
		return "", err
	}
	if err := rc.ManifestPut(ctx, r, m); err != nil {
		return "", fmt.Errorf("manifest: %w", err)
	}
	return m.GetDescriptor().Digest.String(), nil
}

// tarFile is a tar archive of one file, with a fixed time so that the same
// content gives the same digest.
func tarFile(name, content string) ([]byte, error) {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	hdr := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write([]byte(content)); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Hanging returns the address of a listener on 127.0.0.1 that accepts
// connections and never answers: a registry that hangs. It closes in
// t.Cleanup.
func Hanging(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testregistry: %v", err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return // closed
			}
			mu.Lock()
			conns = append(conns, c) // held open, never read nor written
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// Stopped returns an address on 127.0.0.1 where nothing listens: a
// registry that is down. (The port was free a moment ago; nothing in the
// tests binds ports other than ones the kernel hands out.)
func Stopped(t testing.TB) string {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatalf("testregistry: %v", err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// Proxy is an HTTP proxy in front of a registry that counts the requests
// it passes on and how many are under way at once, and can slow them down.
type Proxy struct {
	Host string // 127.0.0.1:port, plain HTTP

	requests atomic.Int64
	inFlight atomic.Int64
	maxIn    atomic.Int64
}

// NewProxy starts a Proxy to the registry at target (host:port, plain
// HTTP) that holds each request for delay before passing it on. It closes
// in t.Cleanup.
func NewProxy(t testing.TB, target string, delay time.Duration) *Proxy {
	t.Helper()
	u := &url.URL{Scheme: "http", Host: target}
	p := &Proxy{}
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(u) }}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		p.requests.Add(1)
		n := p.inFlight.Add(1)
		defer p.inFlight.Add(-1)
		for {
			m := p.maxIn.Load()
			if n <= m || p.maxIn.CompareAndSwap(m, n) {
				break
			}
		}
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-req.Context().Done():
				return
			}
		}
		rp.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	p.Host = srv.Listener.Addr().String()
	return p
}

// Requests is the number of requests the proxy has received.
func (p *Proxy) Requests() int64 { return p.requests.Load() }

// MaxInFlight is the largest number of requests it has had under way at
// once.
func (p *Proxy) MaxInFlight() int64 { return p.maxIn.Load() }
