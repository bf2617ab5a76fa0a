package registry_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jupyterhub/hubprofiles/internal/testregistry"
	"github.com/jupyterhub/hubprofiles/registry"
)

func TestMain(m *testing.M) { os.Exit(testregistry.Run(m)) }

// newChecker returns a Checker that speaks plain HTTP to the given hosts,
// as the test registries, proxies and fake hosts need.
func newChecker(t testing.TB, opts registry.Options, insecure ...string) *registry.Checker {
	t.Helper()
	for _, h := range insecure {
		opts.Hosts = append(opts.Hosts, registry.Host{Name: h, Insecure: true})
	}
	c, err := registry.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// dockerConfig writes a docker config.json with one login and returns its
// path.
func dockerConfig(t *testing.T, host, user, password string) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"auths": map[string]any{
		host: map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + password))},
	}})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// want checks a result's outcome, Missing and message.
func want(t *testing.T, got registry.Result, ref string, status registry.Status, missing string, msgParts ...string) {
	t.Helper()
	t.Logf("%s: %s %s: %s", ref, got.Status, got.Missing, got.Message)
	if got.Ref != ref {
		t.Errorf("Ref = %q, want %q", got.Ref, ref)
	}
	if got.Status != status {
		t.Errorf("%s: Status = %q, want %q (message: %s)", ref, got.Status, status, got.Message)
	}
	if got.Missing != missing {
		t.Errorf("%s: Missing = %q, want %q", ref, got.Missing, missing)
	}
	for _, p := range msgParts {
		if !strings.Contains(got.Message, p) {
			t.Errorf("%s: Message = %q, want it to contain %q", ref, got.Message, p)
		}
	}
	if got.CheckedAt.IsZero() {
		t.Errorf("%s: CheckedAt is zero", ref)
	}
	if status != registry.Exists && got.Digest != "" {
		t.Errorf("%s: Digest = %q for %s", ref, got.Digest, status)
	}
}

func TestCheckOpenRegistry(t *testing.T) {
	reg := testregistry.Shared(t)
	h := reg.Host
	d10 := testregistry.Push(t, h, "open/app", "1.0")
	d11 := testregistry.Push(t, h, "open/app", "1.1")
	testregistry.Push(t, h, "open/app", "latest")
	if d10 == d11 {
		t.Fatalf("two pushed images have one digest %s", d10)
	}
	const other = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	c := newChecker(t, registry.Options{}, h)
	ctx := context.Background()

	tests := []struct {
		ref     string
		status  registry.Status
		digest  string
		missing string
		msg     []string
	}{
		{h + "/open/app:1.0", registry.Exists, d10, "", []string{h + "/open/app:1.0 exists", d10[:19]}},
		{h + "/open/app:1.1", registry.Exists, d11, "", nil},
		{h + "/open/app@" + d11, registry.Exists, d11, "", nil},
		{h + "/open/app:1.0@" + d10, registry.Exists, d10, "", nil},
		{h + "/open/app:2.0", registry.NotFound, "", "tag", []string{
			"tag 2.0 not found in " + h + "/open/app; the repository exists (newest tags: 1.1, 1.0, latest)"}},
		{h + "/open/app@" + other, registry.NotFound, "", "digest", []string{"digest " + other + " not found in " + h + "/open/app", "newest tags: 1.1, 1.0, latest"}},
		{h + "/open/nosuch:1.0", registry.NotFound, "", "repository", []string{"repository " + h + "/open/nosuch not found"}},
		{h + "/no/such/deep/repo@" + other, registry.NotFound, "", "repository", []string{"repository " + h + "/no/such/deep/repo not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got := c.Recheck(ctx, tt.ref)
			want(t, got, tt.ref, tt.status, tt.missing, tt.msg...)
			if got.Digest != tt.digest {
				t.Errorf("Digest = %q, want %q", got.Digest, tt.digest)
			}
		})
	}
}

func TestCheckAuthRegistry(t *testing.T) {
	reg := testregistry.SharedAuth(t)
	h := reg.Host
	d := testregistry.Push(t, h, "private/app", "1.0", reg.User, reg.Password)
	ref := h + "/private/app:1.0"
	ctx := context.Background()

	t.Run("no credentials", func(t *testing.T) {
		c := newChecker(t, registry.Options{}, h)
		want(t, c.Check(ctx, ref), ref, registry.Unauthorized, "", h+" refused access to "+h+"/private/app", "private", "add credentials for "+h)
		tags, err := c.Tags(ctx, ref)
		var e *registry.Error
		if !errors.As(err, &e) || e.Status != registry.Unauthorized {
			t.Errorf("Tags = %v, %v; want an *Error with Status unauthorized", tags, err)
		}
	})
	t.Run("wrong credentials", func(t *testing.T) {
		c := newChecker(t, registry.Options{DockerConfig: dockerConfig(t, h, reg.User, "wrong")}, h)
		want(t, c.Check(ctx, ref), ref, registry.Unauthorized, "", "credentials from the docker config")
	})
	t.Run("unknown user", func(t *testing.T) {
		c := newChecker(t, registry.Options{DockerConfig: dockerConfig(t, h, "nobody", reg.Password)}, h)
		want(t, c.Check(ctx, ref), ref, registry.Unauthorized, "", "credentials from the docker config")
	})
	t.Run("credentials from docker config", func(t *testing.T) {
		c := newChecker(t, registry.Options{DockerConfig: dockerConfig(t, h, reg.User, reg.Password)}, h)
		got := c.Check(ctx, ref)
		want(t, got, ref, registry.Exists, "")
		if got.Digest != d {
			t.Errorf("Digest = %q, want %q", got.Digest, d)
		}
		want(t, c.Check(ctx, h+"/private/app:9"), h+"/private/app:9", registry.NotFound, "tag", "newest tags: 1.0")
		want(t, c.Check(ctx, h+"/private/nope:1"), h+"/private/nope:1", registry.NotFound, "repository")
		tags, err := c.Tags(ctx, ref)
		if err != nil || strings.Join(tags, ",") != "1.0" {
			t.Errorf("Tags = %q, %v; want [1.0]", tags, err)
		}
	})
	t.Run("docker config key with http scheme", func(t *testing.T) {
		// No Hosts entry: the http:// in the key is what makes it plain HTTP.
		// Listed (it is on loopback), without insecure: the docker config's
		// http:// says plain HTTP.
		c := newChecker(t, registry.Options{Hosts: []registry.Host{{Name: h}}, DockerConfig: dockerConfig(t, "http://"+h, reg.User, reg.Password)})
		got := c.Check(ctx, ref)
		want(t, got, ref, registry.Exists, "")
	})
}

func TestCheckUnreachable(t *testing.T) {
	addr := testregistry.Stopped(t)
	c := newChecker(t, registry.Options{}, addr)
	ref := addr + "/some/image:1.0"
	start := time.Now()
	got := c.Check(context.Background(), ref)
	want(t, got, ref, registry.Unreachable, "", "cannot connect to "+addr+": connection refused")
	if el := time.Since(start); el > time.Second {
		t.Errorf("a refused connection took %v; retries or backoff are too long", el)
	}
	// A second check of a host that was down: regclient keeps a backoff
	// per host between calls, which must stay short.
	start = time.Now()
	got = c.Recheck(context.Background(), ref)
	want(t, got, ref, registry.Unreachable, "")
	if el := time.Since(start); el > time.Second {
		t.Errorf("the second refused connection took %v", el)
	}
}

func TestCheckPlainHTTPWithoutInsecure(t *testing.T) {
	h := testregistry.Shared(t).Host
	c := newChecker(t, registry.Options{Hosts: []registry.Host{{Name: h}}}) // h not marked insecure: regclient speaks HTTPS
	ref := h + "/open/app:1.0"
	want(t, c.Check(context.Background(), ref), ref, registry.Unreachable, "", "speaks plain HTTP", "mark it insecure")
}

func TestCheckTimeout(t *testing.T) {
	addr := testregistry.Hanging(t)
	const timeout = time.Second
	c := newChecker(t, registry.Options{Timeout: timeout}, addr)
	ctx := context.Background()
	ref := addr + "/some/image:1.0"

	elapsed := func(t *testing.T, start time.Time) {
		t.Helper()
		el := time.Since(start)
		if el > timeout+500*time.Millisecond {
			t.Errorf("took %v, want at most %v", el, timeout+500*time.Millisecond)
		}
		if el < timeout-100*time.Millisecond {
			t.Errorf("took %v, less than the timeout %v: did it wait at all?", el, timeout)
		}
	}
	t.Run("Check", func(t *testing.T) {
		start := time.Now()
		got := c.Check(ctx, ref)
		elapsed(t, start)
		want(t, got, ref, registry.Timeout, "", addr+" did not answer within 1s")
	})
	t.Run("CheckAll", func(t *testing.T) {
		refs := []string{addr + "/a:1", addr + "/b:1", addr + "/c:1", addr + "/a:1"}
		start := time.Now()
		got := c.CheckAll(ctx, refs)
		elapsed(t, start)
		if len(got) != 3 {
			t.Errorf("CheckAll returned %d results, want 3", len(got))
		}
		for _, r := range refs {
			want(t, got[r], r, registry.Timeout, "")
		}
	})
	t.Run("Tags", func(t *testing.T) {
		start := time.Now()
		_, err := c.Tags(ctx, ref)
		elapsed(t, start)
		var e *registry.Error
		if !errors.As(err, &e) || e.Status != registry.Timeout {
			t.Errorf("Tags error = %v, want an *Error with Status timeout", err)
		}
	})
	t.Run("caller deadline", func(t *testing.T) {
		// The caller's context is shorter than the timeout: Check returns
		// when it ends.
		ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		got := c.Recheck(ctx, addr+"/d:1")
		if el := time.Since(start); el > 700*time.Millisecond {
			t.Errorf("took %v after a 200ms caller deadline", el)
		}
		want(t, got, addr+"/d:1", registry.Timeout, "", "stopped before")
		if _, ok := c.Cached(addr + "/d:1"); ok {
			t.Errorf("a check the caller abandoned was cached")
		}
	})
}

func TestCheckInvalid(t *testing.T) {
	p := testregistry.NewProxy(t, testregistry.Shared(t).Host, 0)
	c := newChecker(t, registry.Options{}, p.Host)
	tests := []struct{ ref, msg string }{
		{"", "no image reference"},
		{"not a ref at all", "not a valid image reference"},
		{p.Host + "/UPPER/case:1.0", "repository names must be lowercase"},
		{"quay.io/jupyter/Base-Notebook:latest", "must be lowercase"},
		{p.Host + "/x/y::bad", "not a valid image reference"},
		{p.Host + "/x/y:bad tag", "not a valid image reference"},
		{p.Host + "/x/y@sha256:short", "not a valid image reference"},
		{"ocidir:///etc:passwd", "not a valid image reference"},
		{"https://quay.io/jupyter/base-notebook:latest", "not a valid image reference"},
	}
	for _, tt := range tests {
		got := c.Check(context.Background(), tt.ref)
		want(t, got, tt.ref, registry.Invalid, "", tt.msg)
		if cached, ok := c.Cached(tt.ref); !ok || cached.Status != registry.Invalid {
			t.Errorf("Cached(%q) = %v, %v; want the invalid verdict without asking", tt.ref, cached, ok)
		}
	}
	if n := p.Requests(); n != 0 {
		t.Errorf("invalid references made %d requests", n)
	}
}

func TestCheckNotAllowed(t *testing.T) {
	h := testregistry.Shared(t).Host
	testregistry.Push(t, h, "policy/app", "1.0")
	p := testregistry.NewProxy(t, h, 0)
	ctx := context.Background()

	c := newChecker(t, registry.Options{AllowedRegistries: []string{"quay.io", "Docker.io"}}, p.Host)
	for _, ref := range []string{p.Host + "/policy/app:1.0", "ghcr.io/x/y:1", "localhost:5000/x:1"} {
		want(t, c.Check(ctx, ref), ref, registry.NotAllowed, "", "not allowed by the infrastructure policy", "allowed: quay.io, docker.io")
		if got, ok := c.Cached(ref); !ok || got.Status != registry.NotAllowed {
			t.Errorf("Cached(%q) = %v, %v; want the not-allowed verdict", ref, got, ok)
		}
	}
	if _, err := c.Tags(ctx, p.Host+"/policy/app:1.0"); err == nil || !strings.Contains(err.Error(), "not allowed") {
		t.Errorf("Tags of a disallowed registry: err = %v", err)
	}
	if n := p.Requests(); n != 0 {
		t.Errorf("refs outside the policy made %d requests", n)
	}

	allowed := newChecker(t, registry.Options{AllowedRegistries: []string{p.Host}}, p.Host)
	want(t, allowed.Check(ctx, p.Host+"/policy/app:1.0"), p.Host+"/policy/app:1.0", registry.Exists, "")
	ref := "jupyter/base-notebook:latest" // Docker Hub
	want(t, allowed.Check(ctx, ref), ref, registry.NotAllowed, "", "images from docker.io are not allowed")
}

func TestCheckCache(t *testing.T) {
	h := testregistry.Shared(t).Host
	d := testregistry.Push(t, h, "cache/app", "1.0")
	p := testregistry.NewProxy(t, h, 0)
	ctx := context.Background()
	ref := p.Host + "/cache/app:1.0"

	c := newChecker(t, registry.Options{}, p.Host)
	if _, ok := c.Cached(ref); ok {
		t.Fatal("Cached before any check")
	}
	first := c.Check(ctx, ref)
	want(t, first, ref, registry.Exists, "")
	if first.Digest != d {
		t.Errorf("Digest = %q, want %q", first.Digest, d)
	}
	n := p.Requests()
	if n == 0 {
		t.Fatal("the first check made no request")
	}
	second := c.Check(ctx, ref)
	if second != first {
		t.Errorf("second Check = %+v, want the cached %+v", second, first)
	}
	if got := p.Requests(); got != n {
		t.Errorf("second Check within the TTL made %d requests", got-n)
	}
	if got, ok := c.Cached(ref); !ok || got != first {
		t.Errorf("Cached = %+v, %v; want %+v", got, ok, first)
	}
	again := c.Recheck(ctx, ref)
	if got := p.Requests(); got == n {
		t.Error("Recheck made no request")
	}
	if !again.CheckedAt.After(first.CheckedAt) {
		t.Errorf("Recheck CheckedAt %v is not after %v", again.CheckedAt, first.CheckedAt)
	}
	if got, _ := c.Cached(ref); got != again {
		t.Errorf("Cached after Recheck = %+v, want %+v", got, again)
	}

	t.Run("Recheck of a digest", func(t *testing.T) {
		ref := p.Host + "/cache/app@" + d
		for i := range 3 {
			n := p.Requests()
			want(t, c.Recheck(ctx, ref), ref, registry.Exists, "")
			if p.Requests() == n {
				t.Errorf("Recheck %d of a digest made no request", i+1)
			}
		}
	})
	t.Run("expiry", func(t *testing.T) {
		c := newChecker(t, registry.Options{CacheTTL: 50 * time.Millisecond}, p.Host)
		c.Check(ctx, ref)
		n := p.Requests()
		time.Sleep(60 * time.Millisecond)
		if _, ok := c.Cached(ref); ok {
			t.Error("Cached returned an expired result")
		}
		c.Check(ctx, ref)
		if p.Requests() == n {
			t.Error("Check after the TTL made no request")
		}
	})
	t.Run("registry stopped", func(t *testing.T) {
		own := testregistry.Start(t, testregistry.Options{})
		ref := own.Host + "/cache/app:1.0"
		d := testregistry.Push(t, own.Host, "cache/app", "1.0")
		c := newChecker(t, registry.Options{}, own.Host)
		want(t, c.Check(ctx, ref), ref, registry.Exists, "")
		if err := own.Stop(); err != nil {
			t.Fatal(err)
		}
		got := c.Check(ctx, ref)
		want(t, got, ref, registry.Exists, "")
		if got.Digest != d {
			t.Errorf("cached Digest = %q, want %q", got.Digest, d)
		}
		want(t, c.Recheck(ctx, ref), ref, registry.Unreachable, "", "connection refused")
		want(t, c.Check(ctx, ref), ref, registry.Unreachable, "") // Recheck updated the cache
	})
	t.Run("concurrent checks share one request", func(t *testing.T) {
		slow := testregistry.NewProxy(t, h, 100*time.Millisecond)
		c := newChecker(t, registry.Options{}, slow.Host)
		ref := slow.Host + "/cache/app:1.0"
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				if got := c.Check(ctx, ref); got.Status != registry.Exists {
					t.Errorf("Check = %+v", got)
				}
			})
		}
		wg.Wait()
		if n := slow.Requests(); n != 1 {
			t.Errorf("10 concurrent Checks of one ref made %d requests, want 1", n)
		}
	})
}

func TestCheckAll(t *testing.T) {
	h := testregistry.Shared(t).Host
	const n = 24
	digests := map[string]string{}
	for i := range n {
		tag := fmt.Sprintf("1.%d", i)
		digests[tag] = testregistry.Push(t, h, "all/app", tag)
	}
	ctx := context.Background()
	const delay = 50 * time.Millisecond

	// 3 is regclient's own limit per registry; 8 shows that it is raised.
	for _, conc := range []int{1, 3, 8} {
		t.Run(fmt.Sprintf("concurrency %d", conc), func(t *testing.T) {
			p := testregistry.NewProxy(t, h, delay)
			c := newChecker(t, registry.Options{Concurrency: conc}, p.Host)
			var refs []string
			for i := range n {
				refs = append(refs, fmt.Sprintf("%s/all/app:1.%d", p.Host, i))
			}
			refs = append(refs, refs[:5]...) // duplicates are checked once
			start := time.Now()
			got := c.CheckAll(ctx, refs)
			el := time.Since(start)
			if len(got) != n {
				t.Errorf("%d results, want %d", len(got), n)
			}
			for i := range n {
				ref := fmt.Sprintf("%s/all/app:1.%d", p.Host, i)
				if r := got[ref]; r.Status != registry.Exists || r.Digest != digests[fmt.Sprintf("1.%d", i)] {
					t.Errorf("%s: %+v", ref, r)
				}
			}
			if r := p.Requests(); r != n {
				t.Errorf("%d requests, want %d (one HEAD per distinct ref)", r, n)
			}
			if m := p.MaxInFlight(); m != int64(conc) {
				t.Errorf("at most %d requests at once, want exactly %d", m, conc)
			}
			// Each round of conc checks takes at least delay.
			if minimum := time.Duration((n+conc-1)/conc) * delay; el < minimum {
				t.Errorf("took %v, less than %v: more than %d ran at once", el, minimum, conc)
			}
		})
	}

	t.Run("mixed outcomes", func(t *testing.T) {
		stopped := testregistry.Stopped(t)
		c := newChecker(t, registry.Options{AllowedRegistries: []string{h, stopped}}, h, stopped)
		refs := []string{h + "/all/app:1.0", h + "/all/app:nope", h + "/all/none:1", stopped + "/x:1", "Bad Ref", "quay.io/x:1"}
		got := c.CheckAll(ctx, refs)
		wantStatus := []registry.Status{registry.Exists, registry.NotFound, registry.NotFound, registry.Unreachable, registry.Invalid, registry.NotAllowed}
		for i, ref := range refs {
			if got[ref].Status != wantStatus[i] || got[ref].Ref != ref {
				t.Errorf("%s: %+v, want %s", ref, got[ref], wantStatus[i])
			}
		}
	})

	t.Run("within the timeout", func(t *testing.T) {
		// One slot, three hanging registries: the first check uses the
		// whole timeout, the others never start, and CheckAll still
		// returns within it.
		hang := testregistry.Hanging(t)
		const timeout = 500 * time.Millisecond
		c := newChecker(t, registry.Options{Concurrency: 1, Timeout: timeout}, hang)
		refs := []string{hang + "/a:1", hang + "/b:1", hang + "/c:1"}
		start := time.Now()
		got := c.CheckAll(ctx, refs)
		if el := time.Since(start); el > timeout+500*time.Millisecond {
			t.Errorf("took %v, want at most %v", el, timeout+500*time.Millisecond)
		}
		notStarted := 0
		for _, ref := range refs {
			if got[ref].Status != registry.Timeout {
				t.Errorf("%s: %+v", ref, got[ref])
			}
			if strings.HasPrefix(got[ref].Message, "not checked") {
				notStarted++
				if _, ok := c.Cached(ref); ok {
					t.Errorf("%s: a check that never ran was cached", ref)
				}
			}
		}
		if notStarted != 2 {
			t.Errorf("%d checks did not start, want 2: %+v", notStarted, got)
		}
	})
}

func TestTags(t *testing.T) {
	h := testregistry.Shared(t).Host
	for _, tag := range []string{"1.0", "latest", "1.10", "2023-12-31", "1.9", "2024-01-15", "main", "lab-4.0.9", "lab-4.1.5"} {
		testregistry.Push(t, h, "tags/app", tag)
	}
	c := newChecker(t, registry.Options{}, h)
	ctx := context.Background()
	got, err := c.Tags(ctx, h+"/tags/app:whatever")
	if err != nil {
		t.Fatal(err)
	}
	wantTags := "2024-01-15 2023-12-31 1.10 1.9 1.0 lab-4.1.5 lab-4.0.9 latest main"
	if strings.Join(got, " ") != wantTags {
		t.Errorf("Tags = %v\nwant   %v", got, wantTags)
	}
	if newer := registry.NewerTags("1.9", got); strings.Join(newer, " ") != "1.10" {
		t.Errorf("NewerTags(1.9) = %v, want [1.10]", newer)
	}

	_, err = c.Tags(ctx, h+"/tags/nosuch")
	var e *registry.Error
	if !errors.As(err, &e) || e.Status != registry.NotFound || e.Missing != "repository" {
		t.Errorf("Tags of a missing repository: %#v", err)
	}
	_, err = c.Tags(ctx, "NOT VALID")
	if !errors.As(err, &e) || e.Status != registry.Invalid {
		t.Errorf("Tags of an invalid ref: %#v", err)
	}
}

func TestNew(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unreadable := write("unreadable.json", `{"auths":{}}`)
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name string
		opts registry.Options
		msg  string
	}{
		{"missing docker config", registry.Options{DockerConfig: filepath.Join(dir, "nope.json")}, "no such file"},
		{"docker config is a directory", registry.Options{DockerConfig: dir}, "docker config"},
		{"docker config not JSON", registry.Options{DockerConfig: write("bad.json", "{auths")}, "docker config"},
		{"auth not base64", registry.Options{DockerConfig: write("b64.json", `{"auths":{"quay.io":{"auth":"***"}}}`)}, `auths["quay.io"].auth is not base64 of user:password`},
		{"auth without colon", registry.Options{DockerConfig: write("colon.json", `{"auths":{"quay.io":{"auth":"`+base64.StdEncoding.EncodeToString([]byte("userpass"))+`"}}}`)}, "not base64 of user:password"},
		{"host without name", registry.Options{Hosts: []registry.Host{{Name: ""}}}, "no name"},
	}
	if os.Geteuid() != 0 { // root reads files whatever their mode
		bad = append(bad, struct {
			name string
			opts registry.Options
			msg  string
		}{"unreadable docker config", registry.Options{DockerConfig: unreadable}, "permission denied"})
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			c, err := registry.New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("New = %v, %v; want an error containing %q", c, err, tt.msg)
			}
		})
	}
	good := write("good.json", `{"auths":{"quay.io":{"auth":"`+base64.StdEncoding.EncodeToString([]byte("u:p"))+`"},"https://index.docker.io/v1/":{"username":"u","password":"p"}}}`)
	if _, err := registry.New(registry.Options{DockerConfig: good}); err != nil {
		t.Errorf("New with a good docker config: %v", err)
	}
	if _, err := registry.New(registry.Options{}); err != nil {
		t.Errorf("New with no options: %v", err)
	}
}

func TestRegistry(t *testing.T) {
	tests := []struct{ ref, want string }{
		{"jupyter/base-notebook:latest", "docker.io"},
		{"ubuntu", "docker.io"},
		{"docker.io/library/ubuntu:22.04", "docker.io"},
		{"index.docker.io/jupyter/base-notebook", "docker.io"},
		{"registry-1.docker.io/jupyter/base-notebook", "docker.io"},
		{"quay.io/jupyter/scipy-notebook:2024-01-15", "quay.io"},
		{"Quay.IO/jupyter/scipy-notebook", "quay.io"},
		{"registry.example.org:5000/team/img@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "registry.example.org:5000"},
		{"localhost/img:1", "localhost"},
		{"localhost:5000/img:1", "localhost:5000"},
		{"127.0.0.1:5000/img:1", "127.0.0.1:5000"},
		{"[::1]:5000/img:1", "[::1]:5000"},
		{"quay.io/jupyter/Upper:1", "quay.io"}, // invalid, still has a registry
		{"garbage", "docker.io"},
	}
	for _, tt := range tests {
		if got := registry.Registry(tt.ref); got != tt.want {
			t.Errorf("Registry(%q) = %q, want %q", tt.ref, got, tt.want)
		}
	}
}
