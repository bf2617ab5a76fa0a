// Package ui is the admin pages: server-rendered HTML enhanced with htmx
// (vendored, pinned 2.x). Every form works without JavaScript (POST, then
// 303 to the result); htmx requests get just the fragment they target, named
// after the id of its root element. The pages share the domain and the store
// with the REST API, not its handlers.
package ui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/auth"
	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/infra"
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/peer"
	"github.com/jupyterhub/hubprofiles/registry"
)

//go:embed templates static
var files embed.FS

// HTMX is the vendored htmx file, served from the binary (no CDN; the CSP
// allows only our own scripts).
const HTMX = "htmx-2.0.11.min.js"

// Handler serves the pages.
type Handler struct {
	edit     *edit.Editor
	identify auth.Identifier
	images   *registry.Checker // nil: no registry checks
	peers    *peer.Client
	log      *slog.Logger
	prefix   string
	pages    map[string]*template.Template
	tags     *tagCache // the newer-tag hints' tag lists (newer.go)
	previews previews
}

// New parses every template (a broken one fails the start, not a request).
// Publications reach the feed through the editor (edit.Editor.OnPublish).
func New(e *edit.Editor, id auth.Identifier, images *registry.Checker, log *slog.Logger, prefix string) (*Handler, error) {
	h := &Handler{edit: e, identify: id, images: images, peers: peer.New(), log: log, prefix: prefix, pages: map[string]*template.Template{},
		tags: &tagCache{m: map[string]tagEntry{}}}
	base, err := template.New("layout").Funcs(funcs(prefix)).ParseFS(files, "templates/layout.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("ui templates: %w", err)
	}
	pages, err := fs.Glob(files, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	for _, p := range pages {
		t, err := template.Must(base.Clone()).ParseFS(files, p)
		if err != nil {
			return nil, fmt.Errorf("ui template %s: %w", p, err)
		}
		h.pages[strings.TrimSuffix(strings.TrimPrefix(p, "templates/pages/"), ".html")] = t
	}
	return h, nil
}

// Register mounts every page on g (the service prefix). This list is the
// whole UI.
func (h *Handler) Register(g *echo.Group) {
	static, _ := fs.Sub(files, "static")
	g.GET("/static/*", echo.WrapHandler(http.StripPrefix(strings.TrimSuffix(h.prefix, "/")+"/static/", cacheStatic(http.FileServer(http.FS(static))))))

	// Every page route answers its errors with a page, and reads its body
	// within the pages' limit before the guard reads the CSRF field.
	view, edits := chain(h.errors, h.bodyLimit, h.guard(auth.Viewer)), chain(h.errors, h.bodyLimit, h.guard(auth.Editor))
	g.GET("/", h.dashboard, view)

	g.GET("/images", h.imagesPage, view)
	g.POST("/images", h.createImage, edits)
	g.GET("/images/new", h.newImage, view)
	g.GET("/images/check", h.checkRefFragment, view)
	g.GET("/images/unused/remove", h.confirmRemoveUnused, view)
	g.POST("/images/unused/remove", h.removeUnused, edits)
	g.GET("/images/:slug", h.editImage, view)
	g.POST("/images/:slug", h.updateImage, edits)
	g.GET("/images/:slug/delete", h.confirmDeleteImage, view) // each write that takes something from users is confirmed on a page that writes nothing (viewers may read it)
	g.POST("/images/:slug/delete", h.deleteImage, edits)
	g.POST("/images/:slug/bump", h.bumpImage, edits)
	g.POST("/image-repositories/bump", h.bumpRepository, edits) // every image of one repository, one revision

	g.GET("/profiles", h.profilesPage, view)
	g.GET("/profiles/new", h.newProfile, view)
	g.POST("/profiles/new", h.saveProfile, edits)
	g.GET("/profiles/:slug", h.editProfile, view)
	g.POST("/profiles/:slug", h.saveProfile, edits)
	g.GET("/profiles/:slug/delete", h.confirmDeleteProfile, view)
	g.POST("/profiles/:slug/delete", h.deleteProfile, edits)
	g.POST("/profiles/:slug/move", h.moveProfile, edits)
	g.POST("/profiles/:slug/duplicate", h.duplicateProfile, edits)
	g.POST("/regex-test", h.regexTest, view)

	g.GET("/defaults-settings", h.defaultsPage, view)
	g.POST("/defaults-settings", h.saveDefaults, edits)

	g.GET("/node-groups", h.nodeGroupsPage, view)

	g.GET("/history", h.historyPage, view)
	g.GET("/history/:id", h.revisionPage, view)
	g.GET("/history/:id/publish", h.confirmPublish, view)
	g.POST("/history/:id/publish", h.publish, edits)
	g.GET("/history/:id/restore", h.confirmRestore, view)
	g.POST("/history/:id/restore", h.restore, edits)

	g.GET("/peers/:name", h.peerPage, view)
	g.POST("/peers/:name", h.promote, edits)

	g.GET("/preview", h.previewPage, view)

	g.GET("/import", h.importPage, view)
	g.POST("/import", h.importPost, view) // checking is for viewers too; importing needs an editor (importPost)
	g.GET("/export", h.exportPage, view)
	g.GET("/export/download", h.exportDownload, view)
}

func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

func (h *Handler) guard(role auth.Role) echo.MiddlewareFunc {
	return auth.Page(h.identify, func() infra.Access { return h.edit.Config().Access }, role)
}

// page is what every template gets: the chrome, and the page's own data.
type page struct {
	Title   string
	Nav     string
	Prefix  string
	CSRF    string
	User    *auth.User
	Editor  bool // may change things
	Flash   string
	Data    any
	Request string // the request URI, for next= links
}

func (h *Handler) page(c echo.Context, title, nav string, data any) page {
	u := auth.UserOf(c)
	return page{Title: title, Nav: nav, Prefix: h.prefix, CSRF: auth.CSRFToken(c), User: u,
		Editor: auth.RoleOf(u, h.edit.Config().Access) >= auth.Editor, Flash: c.QueryParam("done"),
		Data: data, Request: c.Request().URL.RequestURI()}
}

// render writes a page, or for an htmx request that names a fragment, only
// that fragment. Responses vary on HX-Request either way.
func (h *Handler) render(c echo.Context, status int, name, fragment string, p page) error {
	return h.renderAround(c, status, name, fragment, p, nil)
}

// slot is what a template prints where renderAround puts a part rendered
// earlier (user text is escaped, so nothing else prints a comment).
const slot template.HTML = "<!--slot-->"

// renderAround is render for a page whose template prints slot where body
// goes: a part rendered before and kept (the preview of a big list is
// megabytes), written out as it is rather than copied through the template.
// A nil body is plain render.
func (h *Handler) renderAround(c echo.Context, status int, name, fragment string, p page, body []byte) error {
	t, ok := h.pages[name]
	if !ok {
		return fmt.Errorf("ui: no page %q", name)
	}
	c.Response().Header().Add("Vary", "HX-Request")
	tmpl := "layout"
	if fragment != "" && c.Request().Header.Get("HX-Request") == "true" {
		tmpl = fragment
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, tmpl, p); err != nil {
		return fmt.Errorf("ui: rendering %s/%s: %w", name, tmpl, err)
	}
	if body == nil {
		return c.HTMLBlob(status, b.Bytes())
	}
	before, after, found := bytes.Cut(b.Bytes(), []byte(slot))
	if !found {
		return fmt.Errorf("ui: rendering %s/%s: the template has no slot", name, tmpl)
	}
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	w.Header().Set(echo.HeaderContentLength, strconv.Itoa(len(before)+len(body)+len(after)))
	w.WriteHeader(status)
	for _, part := range [][]byte{before, body, after} {
		if _, err := w.Write(part); err != nil {
			return err
		}
	}
	return nil
}

// done ends a successful POST: 303 to where the result is shown; an htmx
// request gets HX-Redirect instead, so the browser loads that page whole
// (a swap would look for the posted form's fragment on another page).
func (h *Handler) done(c echo.Context, path, flash string) error {
	u := h.prefix + strings.TrimPrefix(path, "/")
	if r := []rune(flash); len(r) > maxFlash { // the limits keep names short; this keeps the URL short regardless
		flash = string(r[:maxFlash]) + "…"
	}
	if flash != "" {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + "done=" + url.QueryEscape(flash)
	}
	if c.Request().Header.Get("HX-Request") == "true" {
		c.Response().Header().Set("HX-Redirect", u)
		return c.NoContent(http.StatusOK)
	}
	return c.Redirect(http.StatusSeeOther, u)
}

// maxFlash bounds the message carried in a redirect's URL.
const maxFlash = 300

type messageData struct{ Heading, Text string }

func (h *Handler) message(c echo.Context, status int, heading, text string) error {
	return h.render(c, status, "message", "", h.page(c, heading, "", messageData{heading, text}))
}

func funcs(prefix string) template.FuncMap {
	return template.FuncMap{
		"url":  func(parts ...string) string { return prefix + strings.TrimPrefix(strings.Join(parts, ""), "/") },
		"esc":  url.PathEscape,
		"ago":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"join": strings.Join,
		"add":  func(a, b int) int { return a + b },
		"json": func(v any) string {
			b, err := ordered.MarshalIndent(v, "  ")
			if err != nil {
				return fmt.Sprint(v)
			}
			return strings.TrimSpace(string(b))
		},
		"htmx":    func() string { return prefix + "static/" + HTMX },
		"offered": offered,
		// The keys of an operator's settings (a JSON object), and the item
		// names of one that is a list of named objects: the page's removal
		// buttons.
		"lockedKeys":  func(locked string) []string { return lockedObject(locked).Keys() },
		"lockedItems": lockedItems,
		"quoted":      quoted,
		// pointer shows a JSON pointer as written keys read: nvidia.com/gpu,
		// not nvidia.com~1gpu.
		"pointer": func(p string) string { return strings.Join(unescapePointer(strings.Split(p, "/")), "/") },
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
	}
}
