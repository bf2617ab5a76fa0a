// Package e2e drives the admin pages with a real browser (Debian's headless
// Chromium, through chromedp) against a real JupyterHub, hubprofiles behind
// the hub's proxy and a real registry: the journeys a hub admin takes, with a
// screenshot of each page written to docs/screenshots/. Nothing is mocked
// and nothing is skipped: a missing browser, hub or registry fails the test
// and says what to install.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/jupyterhub/hubprofiles/auth"
	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/internal/browser"
	"github.com/jupyterhub/hubprofiles/internal/testhub"
	"github.com/jupyterhub/hubprofiles/internal/testregistry"
	"github.com/jupyterhub/hubprofiles/registry"
	"github.com/jupyterhub/hubprofiles/server"
	"github.com/jupyterhub/hubprofiles/usage"
)

const (
	prefix = "/services/hubprofiles/"
	// The desktop window of the journey, and the narrow one of step 9.
	width, height = 1280, 900
	narrow        = 420
	// The pictures of the pages go to a temporary directory, or to the
	// directory E2E_SCREENSHOTS names (make screenshots: docs/screenshots).
	// maxPNG caps a full-page screenshot; a longer page is cut.
	maxPNG = 2 << 20
)

// env is everything the journey runs against.
type env struct {
	hub      *testhub.Hub
	reg      *testregistry.Registry
	ed       *edit.Editor
	home     string // the dashboard as the browser reaches it, through the hub's proxy
	feedURL  string // profile_list on the feed listener, as the hub's module reads it
	seedRev  int64  // the revision published before the journey starts
	seedRefs map[string]string
}

// seedList is what the hub offered before the journey: two profiles on the
// test registry's images, one sent to a configured node group.
const seedList = `- display_name: Small
  slug: small
  description: 2 GB of memory, up to 1 CPU
  default: true
  kubespawner_override:
    image: %[1]s/demo/python:3.11
    mem_guarantee: 2G
    mem_limit: 2G
    cpu_limit: 1
- display_name: GPU
  slug: gpu
  description: One NVIDIA T4
  kubespawner_override:
    image: %[1]s/demo/python:3.12
    mem_limit: 20G
    node_selector:
      cloud.google.com/gke-accelerator: nvidia-tesla-t4
`

// infraConfig is the operators' file: two node groups, the registry, and who
// may edit.
const infraConfig = `nodeGroups:
  - slug: standard
    displayName: Standard (8 CPUs, 32 GB)
    nodeSelector: {node.kubernetes.io/instance-type: n2-standard-8}
    allocatable: {cpu: "7.5", memory: 28Gi}
  - slug: gpu-t4
    displayName: GPU (NVIDIA T4)
    nodeSelector: {cloud.google.com/gke-accelerator: nvidia-tesla-t4}
    tolerations:
      - {key: nvidia.com/gpu, operator: Equal, value: present, effect: NoSchedule}
    allocatable: {cpu: "3.5", memory: 24Gi, gpu: "1"}
registries:
  - {host: "%s", insecure: true}
access:
  editorGroups: [hub-editors]
  viewerGroups: [staff]
`

func startEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	lap := time.Now()
	phase := func(what string) { t.Logf("  %-26s %6.2f s", what, time.Since(lap).Seconds()); lap = time.Now() }
	reg := testregistry.Start(t, testregistry.Options{})
	for _, im := range [][2]string{{"demo/python", "3.11"}, {"demo/python", "3.12"}, {"demo/python", "3.13"}, {"demo/r", "4.4"}} {
		testregistry.Push(t, reg.Host, im[0], im[1])
	}
	phase("registry, 4 images pushed")
	// As serve does at start: the node groups are revision 1, a revision
	// with no profile (the journey rolls back to it and is warned).
	ed, seed := seededEditor(t, fmt.Sprintf(infraConfig, reg.Host), reg.Host)
	refs := map[string]string{}
	for _, im := range seed.Catalog.Images {
		refs[im.Ref] = im.Slug
	}

	sidecarURL, serve := lateServer(t)
	phase("store seeded")
	hub := testhub.StartWithServers(t, "hubprofiles", sidecarURL, usage.Scopes...)
	phase("JupyterHub")
	// Who uses what: alice runs small now, bob ran gpu two days ago, carol
	// ran the default profile 40 days ago; the pages show it.
	hub.Spawn(t, "alice", "", map[string]any{"profile": "small"})
	hub.Spawn(t, "bob", "", map[string]any{"profile": "gpu"})
	hub.StopServer(t, "bob", "", 2)
	hub.Spawn(t, "carol", "", map[string]any{})
	hub.StopServer(t, "carol", "", 40)
	ed.SetUsage(hub.Watcher(t, hub.ServiceToken))
	phase("servers started, usage read")
	ident := hubIdentity(hub, log)
	images, err := registry.New(registry.Options{Hosts: []registry.Host{{Name: reg.Host, Insecure: true}}, Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ed.SetImageChecker(images)
	srv, err := server.New(ctx, server.Options{Prefix: prefix, Editor: ed, Identify: ident, Images: images, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	srv.CheckImages(ctx) // as serve does at start: the pages show each image's status
	phase("hubprofiles")
	serve(srv.Handler())
	feeds := httptest.NewServer(srv.FeedHandler())
	t.Cleanup(feeds.Close)
	return &env{hub: hub, reg: reg, ed: ed, home: hub.PublicURL + prefix, feedURL: feeds.URL + prefix + "profile_list",
		seedRev: seed.Revision.ID, seedRefs: refs}
}

// lateServer listens at once and serves the handler given later: until
// then it answers 503, because the hub checks its external services at
// start and waits about 20 s on one that accepts connections but does not
// answer. It returns the root URL and the function that sets the handler.
func lateServer(t *testing.T) (string, func(http.Handler)) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var handler atomic.Pointer[http.Handler]
	httpSrv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := handler.Load(); h != nil {
			(*h).ServeHTTP(w, r)
			return
		}
		http.Error(w, "starting", http.StatusServiceUnavailable)
	})}
	go func() { _ = httpSrv.Serve(ln) }()
	t.Cleanup(func() { _ = httpSrv.Close() })
	return "http://" + ln.Addr().String(), func(h http.Handler) { handler.Store(&h) }
}

// hubIdentity identifies users and tokens with the hub, as the service
// "hubprofiles".
func hubIdentity(hub *testhub.Hub, log *slog.Logger) *auth.Hub {
	return auth.NewHub(auth.HubConfig{
		APIURL: hub.APIURL, AuthorizeURL: "/hub/api/oauth2/authorize",
		ClientID: "service-hubprofiles", ClientSecret: hub.ServiceToken,
		CallbackURL: prefix + "oauth_callback", Timeout: 3 * time.Second,
	}, []byte("0123456789abcdef0123456789abcdef"), prefix, log)
}

// startBrowser starts headless Chromium with the journey's window size.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	return browser.Start(t, width, height)
}

// byID selects an element by an id that is not a CSS identifier (the
// profile editor's ids have dots: opt.0.choice.2.image).
func byID(id string) chromedp.CSS { return chromedp.CSS(fmt.Sprintf("[id=%q]", id)) }

// do runs browser steps with a bound on their time.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, waitBudget)
	defer cancel()
	if err := chromedp.Do(c, steps...); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, pageState(ctx))
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, waitBudget)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluating %s: %v\n%s", js, err, pageState(ctx))
	}
	return v
}

// pageState is where the browser is and what it shows, for failure messages.
func pageState(ctx context.Context) string {
	c, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(c, chromedp.Location())
	text, _ := chromedp.Run(c, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if len(text) > 1500 {
		text = text[:1500] + "…"
	}
	return fmt.Sprintf("the browser is at %s, showing:\n%s", loc, text)
}

// waitBudget bounds every wait for the browser or the server: generous,
// because a wait ends as soon as its condition holds, and on a 2-core
// machine at load 15 a page can take seconds to settle.
const waitBudget = 60 * time.Second

// waitJS waits until a JavaScript condition holds. It polls from Go, so a
// navigation under way (a redirect, a form post) does not break the wait.
func waitJS(t *testing.T, ctx context.Context, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(waitBudget)
	for {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := chromedp.Run(c, chromedp.Evaluate[bool](cond))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s (%s; last error %v)\n%s", waitBudget, what, cond, err, pageState(ctx))
		}
		time.Sleep(40 * time.Millisecond)
	}
}

// waitURL waits until the browser's location satisfies ok, polling from Go.
func waitURL(t *testing.T, ctx context.Context, what string, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(waitBudget)
	var loc string
	for {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		l, err := chromedp.Run(c, chromedp.Location())
		cancel()
		if err == nil {
			loc = l
			if ok(l) {
				// The document of the new location may still be loading.
				waitJS(t, ctx, "the page to load", `document.readyState === "complete"`)
				return l
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s; the browser is at %s\n%s", what, loc, pageState(ctx))
		}
		time.Sleep(40 * time.Millisecond)
	}
}

// open navigates to a page of the service and waits for its heading.
func (e *env) open(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	do(t, ctx, "opening "+path, chromedp.Navigate(e.home+path), chromedp.WaitVisible(chromedp.CSS("main h1")))
}

// text is an element's visible text ("" when there is none).
func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	return eval[string](t, ctx, fmt.Sprintf(`(document.querySelector(%q) || {innerText: ""}).innerText`, css))
}

// shot writes a PNG of the whole page (cut at maxPNG) to docs/screenshots.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	png, err := chromedp.Run(c, chromedp.FullScreenshot(100))
	if err == nil && len(png) > maxPNG {
		// Too long a page: the top 2400 px tell what it is.
		png, err = chromedp.Run(c, func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
			r, err := cdp.Call(ctx, tg, page.CaptureScreenshot, page.CaptureScreenshotParams{
				Format: page.CaptureScreenshotFormatPng, CaptureBeyondViewport: new(true), FromSurface: new(true),
				Clip: &page.Viewport{X: 0, Y: 0, Width: width, Height: 2400, Scale: 1}})
			return r.Data, err
		})
	}
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := os.Getenv("E2E_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// feed fetches profile_list as the hub's module does (no login, on the
// feed listener) and returns the profiles' slugs and the revision served.
func (e *env) feed(t *testing.T) ([]string, string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(e.feedURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("profile_list: %s %s", resp.Status, b)
	}
	var list []struct {
		Slug string `json:"slug"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatalf("profile_list is not a list of profiles: %v\n%s", err, b)
	}
	var slugs []string
	for _, p := range list {
		slugs = append(slugs, p.Slug)
	}
	return slugs, resp.Header.Get("X-Hubprofiles-Revision")
}

// overflow measures horizontal overflow at the current window width and
// names the widest elements that stick out, for the message.
type overflow struct {
	ScrollWidth int      `json:"scrollWidth"`
	InnerWidth  int      `json:"innerWidth"`
	Offenders   []string `json:"offenders"`
}

const measureOverflow = `(() => {
  const w = window.innerWidth, out = [];
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.right > w + 1 && out.length < 8) {
      let inScroller = false;
      for (let p = el.parentElement; p; p = p.parentElement) {
        const s = getComputedStyle(p).overflowX;
        if (s === "auto" || s === "scroll" || s === "hidden") { inScroller = true; break; }
      }
      if (!inScroller) out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + String(el.className).replace(/ /g, ".") : "") + " right=" + Math.round(r.right));
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: w, offenders: out};
})()`

// TestAdminJourneys logs in through the hub's login form as the admin and
// walks the pages: add an image checked against the registry, build a
// profile with three image choices, preview it, publish it, roll back, meet
// a stale edit and a field error, and use a narrow window and the keyboard.
func TestAdminJourneys(t *testing.T) {
	began := time.Now()
	lap := began
	timing := func(step string) {
		t.Logf("%-28s %6.2f s", step, time.Since(lap).Seconds())
		lap = time.Now()
	}
	e := startEnv(t)
	ctx := startBrowser(t)
	timing("hub, registry, browser up")

	const newSlug = "research" // the profile the journey builds
	rImage := "r-4-4"          // the image the journey adds
	rRef := e.reg.Host + "/demo/r:4.4"
	py311 := e.seedRefs[e.reg.Host+"/demo/python:3.11"]
	py312 := e.seedRefs[e.reg.Host+"/demo/python:3.12"]
	if py311 == "" || py312 == "" {
		t.Fatalf("the seed import named its images otherwise: %v", e.seedRefs)
	}
	var builtRev int64 // the revision that adds the profile

	// 1. The hub's own login form, then the OAuth round trip back to the
	// dashboard.
	if !t.Run("1 login through the hub", func(t *testing.T) {
		do(t, ctx, "opening the dashboard logged out", chromedp.Navigate(e.home))
		loc := waitURL(t, ctx, "the hub's login form", func(l string) bool { return strings.Contains(l, "/hub/login") })
		if !strings.HasPrefix(loc, e.hub.PublicURL+"/hub/login?next=") {
			t.Errorf("logged out, the dashboard sent the browser to %s, want the hub's login with next=", loc)
		}
		do(t, ctx, "filling the hub's login form",
			chromedp.WaitVisible(chromedp.ID("username_input")),
			chromedp.SendKeys(chromedp.ID("username_input"), testhub.Admin),
			chromedp.SendKeys(chromedp.ID("password_input"), testhub.Password),
			chromedp.Click(chromedp.ID("login_submit")))
		waitURL(t, ctx, "the dashboard after the login", func(l string) bool { return l == e.home })
		if h := text(t, ctx, "main h1"); h != "Dashboard" {
			t.Errorf("landed on %q, want the Dashboard", h)
		}
		if who := text(t, ctx, "header .who"); !strings.Contains(who, "alice") || !strings.Contains(who, "editor") {
			t.Errorf("the header says %q, want alice · editor", who)
		}
		if live := text(t, ctx, "#live-h + p"); !strings.Contains(live, fmt.Sprintf("Revision %d", e.seedRev)) {
			t.Errorf("the Live card says %q, want revision %d", live, e.seedRev)
		}
		timing("1 login")
	}) {
		t.Fatal("without a login nothing else can run")
	}

	// 2. Add an image: the reference is checked with the registry as it is
	// typed; a typo'd tag is not found; the right one saves.
	t.Run("2 add an image checked against the registry", func(t *testing.T) {
		e.open(t, ctx, "images/new")
		do(t, ctx, "typing the new image",
			chromedp.SendKeys(chromedp.ID("slug"), rImage),
			chromedp.SendKeys(chromedp.ID("display_name"), "R 4.4"),
			chromedp.SendKeys(chromedp.ID("ref"), rRef))
		waitJS(t, ctx, "the live check to say exists", `!!document.querySelector("#ref-check .badge.exists")`)
		if s := text(t, ctx, "#ref-check"); !strings.Contains(s, "exists") || !strings.Contains(s, "sha256:") {
			t.Errorf("#ref-check says %q, want exists with the digest", s)
		}
		shot(t, ctx, "image-new")
		do(t, ctx, "typing a wrong tag", chromedp.SendKeys(chromedp.ID("ref"), "4")) // 4.44
		waitJS(t, ctx, "the live check to say not_found", `!!document.querySelector("#ref-check .badge.not_found")`)
		if s := text(t, ctx, "#ref-check"); !strings.Contains(s, "not_found") {
			t.Errorf("#ref-check says %q for a typo'd tag, want not_found", s)
		} else {
			t.Logf("a typo'd tag: %q", s)
		}
		do(t, ctx, "correcting the tag", chromedp.SendKeys(chromedp.ID("ref"), kb.Backspace))
		waitJS(t, ctx, "the live check to say exists again", `!!document.querySelector("#ref-check .badge.exists")`)
		do(t, ctx, "saving", chromedp.Click(chromedp.CSS(`#image-form button[type=submit]`)))
		// The image is saved either way; what the admin sees next is the
		// images page with a confirmation.
		saved := false
		for wait := time.Now().Add(waitBudget); time.Now().Before(wait); {
			if st, _ := e.ed.Head(context.Background()); st != nil {
				if _, ok := st.Catalog.Image(rImage); ok {
					saved = true
					break
				}
			}
			time.Sleep(40 * time.Millisecond)
		}
		if !saved {
			t.Fatalf("the image was not saved\n%s", pageState(ctx))
		}
		deadline := time.Now().Add(waitBudget)
		for {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			flash := eval[string](t, ctx, `(document.querySelector(".notice.ok") || {innerText: ""}).innerText`)
			if strings.Contains(flash, "Saved image "+rImage) {
				break
			}
			if time.Now().After(deadline) {
				form := eval[string](t, ctx, `(() => { const f = document.getElementById("image-form"); return f ? "#image-form holds " + f.innerHTML.length + " characters" : "#image-form is gone"; })()`)
				t.Errorf("after saving a new image the browser stays at %s and shows no confirmation (%s): "+
					"htmx follows the 303 to the images page and hx-select=\"#image-form\" finds nothing there to swap in\n%s",
					loc, form, pageState(ctx))
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		e.open(t, ctx, "images")
		row := eval[string](t, ctx, fmt.Sprintf(`(() => { for (const tr of document.querySelectorAll("tbody tr")) if (tr.innerText.includes(%q)) return tr.innerText; return ""; })()`, rImage))
		if !strings.Contains(row, "exists") || !strings.Contains(row, rRef) {
			t.Errorf("the images page's row of %s is %q, want its reference and exists", rImage, row)
		}
		if !strings.Contains(row, "not used") || !strings.Contains(row, "candidate for removal") {
			t.Errorf("the images page's row of %s, which no server used, is %q: want a candidate for removal", rImage, row)
		}
		shot(t, ctx, "images")
		e.open(t, ctx, "images/"+py311)
		waitJS(t, ctx, "the check of an existing image", `!!document.querySelector("#ref-check .badge.exists")`)
		if s := text(t, ctx, "#image-form"); !strings.Contains(s, "3.12") || !strings.Contains(s, "3.13") {
			t.Errorf("the image page of python 3.11 does not offer the newer tags 3.12 and 3.13:\n%s", s)
		}
		shot(t, ctx, "image-edit")
		timing("2 add an image")
	})

	// 3. A profile with an option of three image choices, built with the
	// editor's add buttons (each an htmx swap of the form).
	t.Run("3 create a profile with three image choices", func(t *testing.T) {
		e.open(t, ctx, "profiles/new")
		do(t, ctx, "typing the profile",
			chromedp.SendKeys(chromedp.ID("display_name"), "Research"),
			chromedp.SendKeys(chromedp.ID("slug"), newSlug),
			chromedp.SendKeys(chromedp.ID("description"), "Pick a language; 4 GB of memory"),
			chromedp.SendKeys(chromedp.ID("mem_limit"), "4G"),
			chromedp.SetValue(chromedp.ID("node_group"), "standard"))
		do(t, ctx, "adding an option",
			chromedp.Click(chromedp.CSS(`button[value="add-option"]`)),
			chromedp.WaitVisible(byID("opt.0.choice.0.key")))
		if v := eval[string](t, ctx, `document.getElementById("display_name").value`); v != "Research" {
			t.Errorf("after the swap the name field holds %q, want what was typed", v)
		}
		do(t, ctx, "naming the option",
			chromedp.SendKeys(byID("opt.0.key"), "image"),
			chromedp.SendKeys(byID("opt.0.display_name"), "Environment"))
		for j := 1; j <= 2; j++ {
			do(t, ctx, "adding a choice",
				chromedp.Click(chromedp.CSS(`button[value="add-choice:0"]`)),
				chromedp.WaitVisible(byID(fmt.Sprintf("opt.0.choice.%d.key", j))))
		}
		choices := []struct{ key, name, image string }{
			{"py311", "Python 3.11", py311}, {"py312", "Python 3.12", py312}, {"r", "R 4.4", rImage},
		}
		for j, ch := range choices {
			p := fmt.Sprintf("opt.0.choice.%d.", j)
			if n := eval[int](t, ctx, fmt.Sprintf(`document.getElementById(%q).options.length`, p+"image")); n != 4 {
				t.Errorf("the image select of choice %d offers %d entries, want none + 3 images", j, n)
			}
			do(t, ctx, "filling choice "+ch.key,
				chromedp.SendKeys(byID(p+"key"), ch.key),
				chromedp.SendKeys(byID(p+"display_name"), ch.name),
				chromedp.SetValue(byID(p+"image"), ch.image))
		}
		do(t, ctx, "marking the first choice the default", chromedp.Click(chromedp.CSS(`input[name="opt.0.default"][value="0"]`)))
		if v := eval[string](t, ctx, `document.getElementById("opt.0.key").value`); v != "image" {
			t.Errorf("after two swaps the option key holds %q", v)
		}
		shot(t, ctx, "profile-editor")
		do(t, ctx, "saving the profile", chromedp.Click(chromedp.CSS(`button[value="save"]`)))
		waitURL(t, ctx, "the profiles page after saving", func(l string) bool { return strings.Contains(l, "/profiles?done=") })
		if f := text(t, ctx, ".notice.ok"); !strings.Contains(f, "Saved profile Research") {
			t.Errorf("the confirmation says %q", f)
		}
		if row := text(t, ctx, "#profile-list"); !strings.Contains(row, "Research") || !strings.Contains(row, "1 option(s), 3 choice(s)") {
			t.Errorf("the profiles table does not list Research with 3 choices:\n%s", row)
		}
		if row := text(t, ctx, "#profile-list"); !strings.Contains(row, "1 running now · 1 user(s) in 7 days · 1 in 30 days") ||
			!strings.Contains(row, "0 running now · 1 user(s) in 7 days · 1 in 30 days") {
			t.Errorf("the profiles table does not say alice runs small and bob ran gpu 2 days ago:\n%s", row)
		}
		shot(t, ctx, "profiles")
		st, err := e.ed.Head(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		builtRev = st.Revision.ID
		i := st.Catalog.ProfileIndex(newSlug)
		if i < 0 {
			t.Fatalf("no profile %s in the head", newSlug)
		}
		p := st.Catalog.Profiles[i]
		var got []string
		for _, o := range p.Options {
			for _, c := range o.Choices {
				got = append(got, c.Key+"="+c.Image)
			}
		}
		want := []string{"py311=" + py311, "py312=" + py312, "r=" + rImage}
		if !slices.Equal(got, want) || p.NodeGroup != "standard" {
			t.Errorf("saved choices %v node group %q, want %v on standard", got, p.NodeGroup, want)
		}
		timing("3 create a profile")
	})

	// 4. The preview lays the draft out as KubeSpawner's form.
	t.Run("4 preview", func(t *testing.T) {
		e.open(t, ctx, "preview")
		radio := eval[string](t, ctx, fmt.Sprintf(`(document.getElementById("profile-item-%s") || {}).type || ""`, newSlug))
		if radio != "radio" {
			t.Errorf("the preview has no radio for %s", newSlug)
		}
		opts := eval[[]string](t, ctx, fmt.Sprintf(`Array.from((document.getElementById("profile-option-%s--image") || {options: []}).options, o => o.text)`, newSlug))
		if !slices.Equal(opts, []string{"Python 3.11", "Python 3.12", "R 4.4"}) {
			t.Errorf("the preview's select offers %q, want the three choices", opts)
		}
		if j := text(t, ctx, "section[aria-label=JSON]"); !strings.Contains(j, rRef) {
			t.Errorf("the preview's JSON lacks %s", rRef)
		}
		// Nothing of the JSON is cut off on the right: it wraps (issue 14).
		if w := eval[map[string]int](t, ctx, `(() => { const p = document.querySelector("section[aria-label=JSON] pre"); return {scroll: p.scrollWidth, client: p.clientWidth}; })()`); w["scroll"] > w["client"] {
			t.Errorf("the preview's JSON is %d px wide in a %d px box", w["scroll"], w["client"])
		}
		shot(t, ctx, "preview")
		timing("4 preview")
	})

	// 5. Publish from the dashboard; KubeSpawner's feed has the profile.
	t.Run("5 publish", func(t *testing.T) {
		e.open(t, ctx, "")
		if s := text(t, ctx, "#draft-h ~ ul"); !strings.Contains(s, "Research") {
			t.Errorf("the dashboard's unpublished changes do not name the new profile: %q", s)
		}
		do(t, ctx, "publishing from the dashboard", chromedp.Click(chromedp.CSS(`section[aria-labelledby=draft-h] a.button[href$="/publish"]`)))
		// The button leads to a confirmation, which publishes nothing.
		waitURL(t, ctx, "the publish confirmation", func(l string) bool { return strings.HasSuffix(l, fmt.Sprintf("/history/%d/publish", builtRev)) })
		if h := text(t, ctx, "main h1"); h != fmt.Sprintf("Publish revision %d?", builtRev) {
			t.Errorf("the confirmation's heading %q", h)
		}
		if l := text(t, ctx, "#loss-h + p"); !strings.HasPrefix(l, "Nothing:") {
			t.Errorf("adding a profile loses users something: %q", l)
		}
		if d := text(t, ctx, "#diff-h + ul"); !strings.Contains(d, "added") {
			t.Errorf("the diff against what is live does not show the added profile: %q", d)
		}
		if _, rev := e.feed(t); rev != fmt.Sprint(e.seedRev) {
			t.Errorf("the confirmation page published: profile_list serves revision %s", rev)
		}
		shot(t, ctx, "confirm-publish")
		do(t, ctx, "confirming the publish", chromedp.Click(chromedp.CSS(`#confirm form button[type=submit]`)))
		waitURL(t, ctx, "the history after publishing", func(l string) bool { return strings.Contains(l, "/history?done=") })
		if f := text(t, ctx, ".notice.ok"); !strings.Contains(f, fmt.Sprintf("Revision %d is live", builtRev)) {
			t.Errorf("the confirmation says %q, want revision %d live", f, builtRev)
		}
		slugs, rev := e.feed(t)
		if !slices.Contains(slugs, newSlug) || rev != fmt.Sprint(builtRev) {
			t.Errorf("profile_list serves revision %s with %v, want revision %d with %s", rev, slugs, builtRev, newSlug)
		}
		timing("5 publish")
	})

	// 6. Roll back: publish the revision that was live before.
	// First "Roll back to this" on revision 1, the config-only one: the
	// confirmation says every user loses every profile, and cancelling
	// publishes nothing (issue 14).
	t.Run("6 roll back", func(t *testing.T) {
		if e.seedRev <= 1 {
			t.Fatalf("the seed is revision %d: want the config-only revision 1 before it", e.seedRev)
		}
		e.open(t, ctx, "history")
		empty := chromedp.CSS(`#history-list a.button[href$="/history/1/publish"]`)
		if label := text(t, ctx, string(empty)); label != "Roll back to this" {
			t.Errorf("the button of revision 1 says %q", label)
		}
		do(t, ctx, "rolling back to revision 1", chromedp.Click(empty))
		waitURL(t, ctx, "the roll-back confirmation", func(l string) bool { return strings.HasSuffix(l, "/history/1/publish") })
		if a := text(t, ctx, "#confirm [role=alert]"); !strings.Contains(a, "Every user loses every profile.") {
			t.Errorf("rolling back to the empty revision 1 does not say users lose everything: %q", a)
		}
		if l := text(t, ctx, "#confirm ul.losses"); !strings.Contains(l, `profile "`+newSlug+`" is live`) || !strings.Contains(l, `profile "small" is live`) {
			t.Errorf("the losses do not name the live profiles: %q", l)
		}
		if _, rev := e.feed(t); rev != fmt.Sprint(builtRev) {
			t.Errorf("the confirmation page published: profile_list serves revision %s, want %d", rev, builtRev)
		}
		shot(t, ctx, "confirm-roll-back-empty")
		do(t, ctx, "cancelling", chromedp.Click(chromedp.CSS(`#confirm a.button.secondary`)))
		waitURL(t, ctx, "revision 1 after cancelling", func(l string) bool { return strings.HasSuffix(l, "/history/1") })
		if slugs, rev := e.feed(t); rev != fmt.Sprint(builtRev) || !slices.Contains(slugs, newSlug) {
			t.Errorf("after cancelling profile_list serves revision %s with %v, want revision %d unchanged", rev, slugs, builtRev)
		}

		// Then the roll back to the revision live before, confirmed.
		e.open(t, ctx, "history")
		btn := chromedp.CSS(fmt.Sprintf(`#history-list a.button[href$="/history/%d/publish"]`, e.seedRev))
		if label := text(t, ctx, string(btn)); label != "Roll back to this" {
			t.Errorf("the button of revision %d says %q", e.seedRev, label)
		}
		do(t, ctx, "rolling back", chromedp.Click(btn))
		waitURL(t, ctx, "the roll-back confirmation", func(l string) bool { return strings.HasSuffix(l, fmt.Sprintf("/history/%d/publish", e.seedRev)) })
		if l := text(t, ctx, "#confirm ul.losses"); !strings.Contains(l, `profile "`+newSlug+`" is live`) {
			t.Errorf("rolling back does not say users lose %s: %q", newSlug, l)
		}
		do(t, ctx, "confirming the roll back", chromedp.Click(chromedp.CSS(`#confirm form button[type=submit]`)))
		waitURL(t, ctx, "the history after the roll-back", func(l string) bool { return strings.Contains(l, "/history?done=") })
		if f := text(t, ctx, ".notice.ok"); !strings.Contains(f, fmt.Sprintf("Revision %d is live", e.seedRev)) {
			t.Errorf("the confirmation says %q", f)
		}
		slugs, rev := e.feed(t)
		if slices.Contains(slugs, newSlug) || !slices.Equal(slugs, []string{"small", "gpu"}) || rev != fmt.Sprint(e.seedRev) {
			t.Errorf("after the roll-back profile_list serves revision %s with %v, want revision %d with [small gpu]", rev, slugs, e.seedRev)
		}
		shot(t, ctx, "history")
		e.open(t, ctx, fmt.Sprintf("history/%d", builtRev))
		if s := text(t, ctx, "main"); !strings.Contains(s, "/profiles/2") && !strings.Contains(s, newSlug) {
			t.Errorf("the revision page does not show the added profile:\n%s", s)
		}
		shot(t, ctx, "revision")
		timing("6 roll back")
	})

	// 7. A stale edit, in two tabs (issue 14): tab A opens the profile, tab
	// B changes its CPU limit and description and saves; A edits the
	// description and saves. A's page shows what B did and A's own pending
	// change, holds B's CPU limit, and marks the description both changed
	// (A's kept); saving again (step 8) reverts nothing of B's.
	t.Run("7 stale edit conflict in two tabs", func(t *testing.T) {
		e.open(t, ctx, "profiles/"+newSlug)
		tabB, closeB := chromedp.NewContext(ctx) // a second tab of the same browser, logged in alike
		defer closeB()
		// The tab lives as long as the context of its first run: not a
		// bounded one of do's.
		if err := chromedp.Do(tabB, chromedp.EmulateViewport(width, height)); err != nil {
			t.Fatalf("opening a second tab: %v", err)
		}
		e.open(t, tabB, "profiles/"+newSlug)
		do(t, tabB, "tab B changes the CPU limit and the description",
			chromedp.SetValue(chromedp.ID("cpu_limit"), "1.5"),
			chromedp.SetValue(chromedp.ID("description"), "Changed in tab B"),
			chromedp.Click(chromedp.CSS(`button[value="save"]`)))
		waitURL(t, tabB, "tab B's save", func(l string) bool { return strings.Contains(l, "/profiles?done=") })
		closeB()

		do(t, ctx, "tab A edits the description in its stale form",
			chromedp.SetValue(chromedp.ID("description"), "Edited in the browser"),
			chromedp.Click(chromedp.CSS(`button[value="save"]`)))
		waitJS(t, ctx, "the conflict notice", `!!document.querySelector("#profile-form .notice.warning")`)
		notice := text(t, ctx, "#profile-form > .notice.error")
		changes := text(t, ctx, "#profile-form .notice.warning")
		if !strings.Contains(notice, "Someone else changed the catalog") || !strings.Contains(notice, "Nothing was saved yet") {
			t.Errorf("the conflict says %q", notice)
		}
		if !strings.Contains(changes, "description") && !strings.Contains(changes, "Description") {
			t.Errorf("the list of what changed does not name the description: %q", changes)
		}
		if v := eval[string](t, ctx, `document.getElementById("cpu_limit").value`); v != "1.5" {
			t.Errorf("tab A's form holds CPU limit %q after the conflict, want tab B's 1.5 (saving would revert it)", v)
		}
		if v := eval[string](t, ctx, `document.getElementById("description").value`); v != "Edited in the browser" {
			t.Errorf("the admin's input was lost: %q", v)
		}
		if c := text(t, ctx, "#merge-conflicts"); !strings.Contains(c, "Description") || !strings.Contains(c, "Changed in tab B") {
			t.Errorf("the fields both changed: %q, want the description with tab B's value", c)
		}
		if p := text(t, ctx, "#merge-pending"); !strings.Contains(p, "Edited in the browser") || strings.Contains(p, "CPU limit") {
			t.Errorf("tab A's pending changes: %q, want its description and not B's CPU limit", p)
		}
		t.Logf("conflict: %q / %q", notice, changes)
		shot(t, ctx, "profile-conflict")
		timing("7 stale edit")
	})

	// 8. A wrong value is refused with its message next to its field.
	t.Run("8 field error in place", func(t *testing.T) {
		if eval[bool](t, ctx, `!document.getElementById("mem_limit")`) {
			e.open(t, ctx, "profiles/"+newSlug)
		}
		do(t, ctx, "typing 4Gi",
			chromedp.SetValue(chromedp.ID("mem_limit"), "4Gi"),
			chromedp.Click(chromedp.CSS(`button[value="save"]`)))
		waitJS(t, ctx, "the memory limit's error", `!!document.getElementById("err-mem_limit")`)
		do(t, ctx, "the error shows", chromedp.WaitVisible(chromedp.ID("err-mem_limit")))
		msg := text(t, ctx, "#err-mem_limit")
		t.Logf("mem_limit 4Gi: %q", msg)
		if msg == "" {
			t.Error("the memory limit's error is empty")
		}
		attrs := eval[map[string]string](t, ctx, `(() => { const i = document.getElementById("mem_limit"); return {invalid: i.getAttribute("aria-invalid") || "", describedby: i.getAttribute("aria-describedby") || "", next: String(i.parentElement.contains(document.getElementById("err-mem_limit")))}; })()`)
		if attrs["invalid"] != "true" || attrs["describedby"] != "err-mem_limit" || attrs["next"] != "true" {
			t.Errorf("the memory limit field: %v, want aria-invalid=true, aria-describedby=err-mem_limit and the error beside it", attrs)
		}
		if v := eval[string](t, ctx, `document.getElementById("description").value`); v != "Edited in the browser" {
			t.Errorf("the description typed before was lost: %q", v)
		}
		shot(t, ctx, "profile-field-error")
		do(t, ctx, "fixing it", chromedp.SetValue(chromedp.ID("mem_limit"), "4G"), chromedp.Click(chromedp.CSS(`button[value="save"]`)))
		waitURL(t, ctx, "the profiles page after the fix", func(l string) bool { return strings.Contains(l, "/profiles?done=") })
		st, _ := e.ed.Head(context.Background())
		if i := st.Catalog.ProfileIndex(newSlug); i < 0 || st.Catalog.Profiles[i].Description != "Edited in the browser" {
			t.Errorf("after the conflict and the fix the profile is not the admin's: %+v", st.Catalog.Profiles)
		} else if got := st.Catalog.Profiles[i].Settings.CPULimit.String(); got != "1.5" {
			t.Errorf("saving after the conflict reverted tab B's CPU limit to %q", got)
		}
		timing("8 field error")
	})

	// 8b. The free-text choice: the image option's override is prefilled,
	// and "Test the regex" shows its answer in the page (issue 14).
	t.Run("8b test the regex", func(t *testing.T) {
		e.open(t, ctx, "profiles/"+newSlug)
		if v := eval[string](t, ctx, `document.getElementById("opt.0.unlisted.override").value`); !strings.Contains(v, `"image": "{value}"`) {
			t.Errorf("the image option's free-text override is %q, want {\"image\": \"{value}\"} prefilled", v)
		}
		do(t, ctx, "opening the free-text settings", chromedp.Click(chromedp.CSS(`details:has([name="opt.0.unlisted.regex"]) > summary`)))
		for _, c := range []struct{ value, want string }{
			{"quay.io/jupyter/base-notebook:2025-06-02", "matches “quay.io/jupyter/base-notebook:2025-06-02”"},
			{"no tag", "does not match “no tag”"},
		} {
			do(t, ctx, "testing "+c.value,
				chromedp.SetValue(byID("opt.0.unlisted.regex"), `^[a-z0-9.\/_\-]+:[A-Za-z0-9._\-]+$`),
				chromedp.SetValue(byID("opt.0.unlisted.try"), c.value),
				chromedp.Click(chromedp.CSS(`button[hx-post$="/regex-test"]`)))
			waitJS(t, ctx, "the regex tester's answer", fmt.Sprintf(`document.getElementById("regex-result-0").innerText.includes(%q)`, c.value))
			if got := text(t, ctx, "#regex-result-0"); !strings.Contains(got, c.want) || !strings.Contains(got, "compiles in Python and in the browser") {
				t.Errorf("testing %q: the tester says %q, want %q", c.value, got, c.want)
			}
		}
		if eval[bool](t, ctx, `!document.getElementById("profile-form")`) {
			t.Error("the tester's answer replaced the profile form")
		}
		shot(t, ctx, "regex-tester")
		st, _ := e.ed.Head(context.Background())
		if i := st.Catalog.ProfileIndex(newSlug); i < 0 || st.Catalog.Profiles[i].Options[0].Unlisted != nil {
			t.Errorf("testing a regex saved something")
		}
		timing("8b regex")
	})

	// 8e. What can never be scheduled is an error (issue 14): 2 GPUs on
	// the GPU profile, whose node group's nodes have one, are refused next
	// to the GPU field and nothing is saved.
	t.Run("8e more GPUs than the node has", func(t *testing.T) {
		e.open(t, ctx, "profiles/gpu")
		before, _ := e.ed.Head(context.Background())
		do(t, ctx, "asking for 2 GPUs", chromedp.SetValue(chromedp.ID("gpu"), "2"), chromedp.Click(chromedp.CSS(`button[value="save"]`)))
		waitJS(t, ctx, "the GPU field's error", `!!document.getElementById("err-gpu")`)
		if msg := text(t, ctx, "#err-gpu"); !strings.Contains(msg, "2 GPUs (nvidia.com/gpu) are more than a gpu-t4 node has (1)") {
			t.Errorf("the GPU field's error: %q", msg)
		}
		if after, _ := e.ed.Head(context.Background()); after.Revision.ID != before.Revision.ID {
			t.Errorf("2 GPUs on a 1-GPU node were saved (revision %d)", after.Revision.ID)
		}
		shot(t, ctx, "profile-gpu-error")
		timing("8e GPUs")
	})

	// 8c. Sizes that fit the node option (issue 14): with a "Node type"
	// drop-down of two node groups, sizes for one group are refused with the
	// reason; with none picked, each node type gets its own sizes, in
	// KubeSpawner's units ("14G") and labelled in GiB.
	t.Run("8c sizes per node type", func(t *testing.T) {
		e.open(t, ctx, "profiles/new")
		do(t, ctx, "the quick setup with both node groups",
			chromedp.SendKeys(chromedp.ID("display_name"), "Two kinds"),
			chromedp.SendKeys(chromedp.ID("slug"), "two-kinds"),
			chromedp.Click(chromedp.CSS(`input[name="offer_group"][value="standard"]`)),
			chromedp.Click(chromedp.CSS(`input[name="offer_group"][value="gpu-t4"]`)),
			chromedp.Click(chromedp.CSS(`button[value="apply-offers"]`)),
			chromedp.WaitVisible(byID("opt.0.choice.1.key")))
		do(t, ctx, "generating sizes for one node group",
			chromedp.SetValue(chromedp.ID("size_group"), "standard"),
			chromedp.SetValue(chromedp.ID("size_count"), "2"),
			chromedp.Click(chromedp.CSS(`button[value="generate-sizes"]`)))
		waitJS(t, ctx, "the generator's refusal", `!!document.getElementById("err-size_group")`)
		if msg := text(t, ctx, "#err-size_group"); !strings.Contains(msg, `users pick the node type in option "node"`) {
			t.Errorf("sizes for one group beside the node type drop-down: %q", msg)
		}
		do(t, ctx, "generating sizes for each node type",
			chromedp.SetValue(chromedp.ID("size_group"), ""),
			chromedp.Click(chromedp.CSS(`button[value="generate-sizes"]`)))
		waitJS(t, ctx, "the sizes", `!!document.getElementById("opt.0.choice.3.key") && !document.getElementById("err-size_group")`)
		got := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("[id^='opt.0.choice.'][id$='.display_name']"), i => document.getElementById(i.id.replace("display_name", "node_group")).value + " " + document.getElementById(i.id.replace("display_name", "mem_limit")).value + " " + i.value)`)
		want := []string{
			"standard 14G 14 GiB RAM, up to 7.5 CPUs — Standard (8 CPUs, 32 GB)",
			"standard 28G 28 GiB RAM, up to 7.5 CPUs — Standard (8 CPUs, 32 GB)",
			"gpu-t4 12G 12 GiB RAM, up to 3.5 CPUs — GPU (NVIDIA T4)",
			"gpu-t4 24G 24 GiB RAM, up to 3.5 CPUs — GPU (NVIDIA T4)",
		}
		if !slices.Equal(got, want) {
			t.Errorf("the sizes per node type:\n got %q\nwant %q", got, want)
		}
		if n := eval[int](t, ctx, `document.querySelectorAll("[id$='.key'][id^='opt.1.']").length`); n != 0 {
			t.Errorf("a second, contradicting size option beside the node type")
		}
		shot(t, ctx, "profile-sizes")
		timing("8c sizes")
	})

	// 8d. A big hub's chores in few clicks (issue 14): filter the profiles
	// (htmx swaps the list as the admin types), move the last profile to
	// the top in one step (one revision), and bump every image of a
	// repository to a newer tag from the images list (one revision).
	t.Run("8d filter, move to a position, bump a repository", func(t *testing.T) {
		e.open(t, ctx, "profiles")
		do(t, ctx, "typing a filter", chromedp.SendKeys(chromedp.ID("q"), "research"))
		waitJS(t, ctx, "the filtered list", `(document.querySelector("#profile-list [role=status]") || {innerText: ""}).innerText.includes("1 of 3 profile(s) match")`)
		if rows := eval[int](t, ctx, `document.querySelectorAll("#profile-list tbody tr").length`); rows != 1 {
			t.Errorf("the filter for research shows %d rows", rows)
		}
		if loc := waitURL(t, ctx, "the filter in the address", func(l string) bool { return strings.Contains(l, "q=research") }); !strings.Contains(loc, "/profiles?q=research") {
			t.Errorf("the filtered list's address %s", loc)
		}
		shot(t, ctx, "profiles-filter")

		e.open(t, ctx, "profiles")
		before, _ := e.ed.Head(context.Background())
		do(t, ctx, "moving research to the top",
			chromedp.SetValue(chromedp.ID("move-"+newSlug), "1"),
			chromedp.Click(chromedp.CSS(fmt.Sprintf(`#move-%s + button`, newSlug))))
		waitJS(t, ctx, "the moved list", fmt.Sprintf(`(document.querySelector("#profile-list tbody tr td:nth-child(2) code") || {innerText: ""}).innerText === %q`, newSlug))
		after, _ := e.ed.Head(context.Background())
		var order []string
		for _, p := range after.Catalog.Profiles {
			order = append(order, p.Slug)
		}
		if after.Revision.ID != before.Revision.ID+1 || !slices.Equal(order, []string{newSlug, "small", "gpu"}) {
			t.Errorf("after moving: revision %d (was %d), order %v; want one revision and research first", after.Revision.ID, before.Revision.ID, order)
		}

		e.open(t, ctx, "")
		if s := text(t, ctx, "#newer-tags"); !strings.Contains(s, e.reg.Host+"/demo/python") || !strings.Contains(s, "newest 3.13") {
			t.Errorf("the dashboard's newer tags: %q", s)
		}
		e.open(t, ctx, "images")
		hint := text(t, ctx, "#newer-tags")
		if !strings.Contains(hint, py311+" on 3.11 (newest 3.13)") || !strings.Contains(hint, py312+" on 3.12 (newest 3.13)") {
			t.Errorf("the images page's newer tags: %q", hint)
		}
		shot(t, ctx, "images-newer-tags")
		before = after
		do(t, ctx, "bumping every python image to 3.13",
			chromedp.SetValue(chromedp.CSS(`#newer-tags select[id$="/demo/python"]`), "3.13"),
			chromedp.Click(chromedp.CSS(`#newer-tags li:has(select[id$="/demo/python"]) button`)))
		waitURL(t, ctx, "the images page after the bump", func(l string) bool { return strings.Contains(l, "/images?done=") })
		if f := text(t, ctx, ".notice.ok"); !strings.Contains(f, "2 image(s) of "+e.reg.Host+"/demo/python now use tag 3.13") {
			t.Errorf("the bump's confirmation: %q", f)
		}
		after, _ = e.ed.Head(context.Background())
		if after.Revision.ID != before.Revision.ID+1 {
			t.Errorf("the bump wrote %d revisions, want 1", after.Revision.ID-before.Revision.ID)
		}
		for _, slug := range []string{py311, py312} {
			if im, _ := after.Catalog.Image(slug); im == nil || im.Ref != e.reg.Host+"/demo/python:3.13" {
				t.Errorf("%s after the bump: %+v", slug, im)
			}
		}
		timing("8d filter, move, bump")
	})

	// The remaining pages, for their screenshots and a look at each.
	t.Run("pages", func(t *testing.T) {
		e.open(t, ctx, "node-groups")
		if s := text(t, ctx, "tbody"); !strings.Contains(s, "GPU (NVIDIA T4)") || !strings.Contains(s, "Research") {
			t.Errorf("the node groups page:\n%s", s)
		}
		shot(t, ctx, "node-groups")
		e.open(t, ctx, "import")
		do(t, ctx, "pasting a list with problems",
			chromedp.SetValue(chromedp.ID("content"), fmt.Sprintf(`- display_name: Big
  slug: big
  kubespawner_override:
    image: %s/demo/python:9.9
    mem_limit: 4Gi
- display_name: Big
  slug: big-two
  kubespawner_override:
    cpu_limit: 2
    cpu_guarantee: 4
`, e.reg.Host)),
			chromedp.Click(chromedp.CSS(`button[value="check"]`)))
		waitJS(t, ctx, "the import's findings", `!!document.querySelector("#import-form [role=status]")`)
		if s := text(t, ctx, "#import-form [role=status]"); !strings.Contains(s, "error") {
			t.Errorf("the import check found nothing wrong:\n%s", s)
		} else {
			t.Logf("import findings: %q", s)
		}
		// Grouped by profile, named as the list names them, errors first
		// (issue 14); the pointer stays in the title.
		groups := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#import-form .problem-group h3"), h => h.innerText)`)
		if len(groups) < 2 || groups[0] != "Profile “Big” (big)" || groups[1] != "Profile “Big” (big-two)" {
			t.Errorf("the import's problem groups: %q, want the two profiles named Big first, told apart by slug", groups)
		}
		if first := text(t, ctx, "#import-form .problem-group li .badge"); first != "error" {
			t.Errorf("the first problem listed is a %q, want an error", first)
		}
		shot(t, ctx, "import")
		e.open(t, ctx, "export")
		shot(t, ctx, "export")
		e.open(t, ctx, "")
		shot(t, ctx, "dashboard")
		timing("pages")
	})

	// 9. A narrow window and the keyboard.
	t.Run("9 narrow window and keyboard", func(t *testing.T) {
		defer func() { _ = chromedp.Do(ctx, chromedp.EmulateViewport(width, height)) }()
		do(t, ctx, "narrowing the window", chromedp.EmulateViewport(narrow, height))
		for _, pg := range []struct{ path, name string }{{"", "dashboard"}, {"profiles/" + newSlug, "profile-editor"}} {
			e.open(t, ctx, pg.path)
			o := eval[overflow](t, ctx, measureOverflow)
			if o.InnerWidth != narrow || o.ScrollWidth > o.InnerWidth {
				t.Errorf("the %s at %d px: scrollWidth %d > innerWidth %d; sticking out: %v", pg.name, narrow, o.ScrollWidth, o.InnerWidth, o.Offenders)
			}
			shot(t, ctx, pg.name+"-narrow")
		}
		do(t, ctx, "back to the wide window", chromedp.EmulateViewport(width, height))
		e.open(t, ctx, "")
		do(t, ctx, "pressing Tab", chromedp.KeyEvent(kb.Tab))
		focus := eval[map[string]string](t, ctx, `(() => { const a = document.activeElement, r = a.getBoundingClientRect(); return {tag: a.tagName, cls: a.className, href: a.getAttribute("href") || "", text: a.innerText, onscreen: String(r.left >= 0 && r.top >= 0 && r.width > 0)}; })()`)
		if focus["cls"] != "skip" || focus["href"] != "#main" || focus["onscreen"] != "true" {
			t.Errorf("the first Tab focuses %v, want the visible skip link to #main", focus)
		}
		do(t, ctx, "following the skip link", chromedp.KeyEvent(kb.Enter), chromedp.KeyEvent(kb.Tab))
		inMain := eval[bool](t, ctx, `document.getElementById("main").contains(document.activeElement)`)
		if !inMain {
			t.Errorf("after the skip link, Tab focuses %q outside the main content", eval[string](t, ctx, `document.activeElement.outerHTML.slice(0, 120)`))
		}
		timing("9 narrow and keyboard")
	})

	// 10. Import a list that checks clean (last: it replaces the profiles).
	t.Run("10 import", func(t *testing.T) {
		e.open(t, ctx, "import")
		do(t, ctx, "pasting the seed list and checking it",
			chromedp.SetValue(chromedp.ID("content"), fmt.Sprintf(seedList, e.reg.Host)),
			chromedp.SendKeys(chromedp.ID("message"), "back to the operators' list"),
			chromedp.Click(chromedp.CSS(`button[value="check"]`)))
		waitJS(t, ctx, "the import's check", `!!document.querySelector("#import-form [role=status]")`)
		if s := text(t, ctx, "#import-form [role=status]"); !strings.Contains(s, "ready to import") {
			t.Fatalf("the seed list does not check clean:\n%s", s)
		}
		before, _ := e.ed.Head(context.Background())
		do(t, ctx, "importing", chromedp.Click(chromedp.CSS(`button[value="import"]`)))
		for wait := time.Now().Add(waitBudget); time.Now().Before(wait); {
			if st, _ := e.ed.Head(context.Background()); st != nil && st.Revision.ID > before.Revision.ID {
				break
			}
			time.Sleep(40 * time.Millisecond)
		}
		if st, _ := e.ed.Head(context.Background()); st.Revision.ID == before.Revision.ID || st.Catalog.ProfileIndex(newSlug) >= 0 {
			t.Fatalf("nothing was imported\n%s", pageState(ctx))
		}
		deadline := time.Now().Add(waitBudget)
		for {
			// The import answers with HX-Redirect: an evaluation may meet
			// the navigation ("target navigated"); poll again then.
			c, cancel := context.WithTimeout(ctx, 5*time.Second)
			flash, _ := chromedp.Run(c, chromedp.Evaluate[string](`(document.querySelector(".notice.ok") || {innerText: ""}).innerText`))
			cancel()
			if strings.Contains(flash, "Imported 2 profile(s)") {
				break
			}
			if time.Now().After(deadline) {
				loc, _ := chromedp.Run(ctx, chromedp.Location())
				form := eval[string](t, ctx, `(() => { const f = document.getElementById("import-form"); return f ? "#import-form holds " + f.innerHTML.length + " characters" : "#import-form is gone"; })()`)
				t.Errorf("after importing the browser stays at %s and shows no confirmation (%s): "+
					"htmx follows the 303 to the history and hx-select=\"#import-form\" finds nothing there to swap in\n%s",
					loc, form, pageState(ctx))
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		timing("10 import")
	})
	t.Logf("the whole journey: %.1f s", time.Since(began).Seconds())
}
