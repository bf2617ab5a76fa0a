package ui

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"sort"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

// The preview shows the spawn form the way KubeSpawner's default form
// template lays it out — a radio per profile with its name and description,
// a drop-down per option, "Other..." with a text field for a free-text
// choice — for the draft or the live list, as a member of a group sees it
// (allowed_groups applied, as the hub-side module filters), next to the
// exact JSON KubeSpawner receives.

type previewChoice struct {
	Key, DisplayName string
	Selected         bool
}

type previewOption struct {
	Key, DisplayName string
	Choices          []previewChoice
	Unlisted         *model.Unlisted
}

type previewProfile struct {
	Slug, DisplayName, Description string
	Checked                        bool
	Options                        []previewOption
}

type previewData struct {
	Which     string // draft or live
	Group     string // "" = no filter (what an admin sees)
	Groups    []string
	Revision  int64
	Profiles  []previewProfile
	JSON      string
	Empty     string
	Effective []profilelist.Effective
	// Body is where preview-body puts the rendered preview
	// ("preview-render", kept in previews): the slot.
	Body template.HTML
}

// previews keeps the rendered preview body of the last few revisions and
// groups shown. Revisions never change, and a big list's preview is
// megabytes of HTML that takes a hundred milliseconds to render; the
// bounds keep what it holds to a few of those.
type previews struct {
	mu     sync.Mutex
	bodies map[string][]byte
	size   int // bytes held
}

const (
	maxCachedPreviews     = 4
	maxCachedPreviewBytes = 16 << 20
)

func (p *previews) get(key string) ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b, ok := p.bodies[key]
	return b, ok
}

func (p *previews) put(key string, body []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bodies == nil || len(p.bodies) >= maxCachedPreviews || p.size+len(body) > maxCachedPreviewBytes {
		p.bodies, p.size = map[string][]byte{}, 0
	}
	p.bodies[key] = body
	p.size += len(body)
}

func (h *Handler) previewPage(c echo.Context) error {
	ctx := c.Request().Context()
	d := previewData{Which: c.QueryParam("revision"), Group: c.QueryParam("group")}
	if d.Which != "live" {
		d.Which = "draft"
	}
	var (
		st  *edit.State
		err error
	)
	if d.Which == "live" {
		_, st, err = h.edit.Live(ctx)
		if errors.Is(err, model.ErrNotFound) {
			d.Empty = "Nothing is published yet."
			return h.renderPreview(c, d, "")
		}
	} else {
		st, err = h.edit.Head(ctx)
	}
	if err != nil {
		return h.fail(c, err)
	}
	d.Revision = st.BaseID()
	d.Groups = mentionedGroups(st.Catalog)
	// What preview-render shows depends only on the revision's content, the
	// revision number it names and the group.
	key := ""
	if st.Revision != nil {
		key = fmt.Sprintf("%s %d %q", st.Revision.ContentSHA256, d.Revision, d.Group)
		if body, ok := h.previews.get(key); ok {
			d.Body = slot
			return h.renderAround(c, http.StatusOK, "preview", "preview-body", h.page(c, "Preview", "preview", d), body)
		}
	}
	list, err := profilelist.Render(st.Catalog)
	if err != nil {
		return h.fail(c, err)
	}
	if d.Group != "" {
		list = filterGroups(list, d.Group)
	}
	b, _ := ordered.MarshalIndent(list, "  ")
	d.JSON = string(b)
	d.Profiles = previewProfiles(list)
	d.Effective = profilelist.EffectiveSettings(list, st.Catalog.Defaults, st.Catalog)
	if len(d.Profiles) == 0 {
		d.Empty = "No profile is offered: KubeSpawner shows no form and starts servers with the hub's base settings."
	}
	return h.renderPreview(c, d, key)
}

// renderPreview renders the preview body, keeps it under key (unless key is
// empty) and sends the page or, to htmx, the body.
func (h *Handler) renderPreview(c echo.Context, d previewData, key string) error {
	var b bytes.Buffer
	if err := h.pages["preview"].ExecuteTemplate(&b, "preview-render", d); err != nil {
		return fmt.Errorf("ui: rendering preview: %w", err)
	}
	if key != "" {
		h.previews.put(key, b.Bytes())
	}
	d.Body = slot
	return h.renderAround(c, http.StatusOK, "preview", "preview-body", h.page(c, "Preview", "preview", d), b.Bytes())
}

func mentionedGroups(c *model.Catalog) []string {
	seen := map[string]bool{}
	for _, p := range c.Profiles {
		for _, g := range p.AllowedGroups {
			seen[g] = true
		}
		for _, o := range p.Options {
			for _, ch := range o.Choices {
				for _, g := range ch.AllowedGroups {
					seen[g] = true
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for g := range seen {
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

// allowed reports whether a profile or choice is offered to a member of
// group: no allowed_groups means everyone.
func allowed(m *ordered.Map, group string) bool {
	v, ok := m.Get("allowed_groups")
	if !ok {
		return true
	}
	gs, _ := v.([]any)
	return slices.Contains(gs, any(group))
}

// filterGroups keeps what a member of group is offered.
func filterGroups(list []any, group string) []any {
	var out []any
	for _, item := range list {
		p, ok := item.(*ordered.Map)
		if !ok || !allowed(p, group) {
			continue
		}
		p = p.Clone()
		if opts, ok := p.Get("profile_options"); ok {
			om, _ := opts.(*ordered.Map)
			for _, k := range om.Keys() {
				ov, _ := om.Get(k)
				o, _ := ov.(*ordered.Map)
				cv, _ := o.Get("choices")
				cm, _ := cv.(*ordered.Map)
				for _, ck := range append([]string{}, cm.Keys()...) {
					ch, _ := cm.Get(ck)
					if chm, ok := ch.(*ordered.Map); ok && !allowed(chm, group) {
						cm.Delete(ck)
					}
				}
			}
		}
		out = append(out, p)
	}
	return out
}

func str(m *ordered.Map, k string) string {
	v, _ := m.Get(k)
	s, _ := v.(string)
	return s
}

func truthy(m *ordered.Map, k string) bool {
	v, ok := m.Get(k)
	if !ok {
		return false
	}
	switch t := v.(type) {
	case bool:
		return t
	case string:
		return t != ""
	case nil:
		return false
	}
	return true
}

func previewProfiles(list []any) []previewProfile {
	var out []previewProfile
	anyDefault := false
	for _, item := range list {
		p, _ := item.(*ordered.Map)
		pp := previewProfile{Slug: str(p, "slug"), DisplayName: str(p, "display_name"), Description: str(p, "description"), Checked: truthy(p, "default")}
		anyDefault = anyDefault || pp.Checked
		opts, _ := p.Get("profile_options")
		om, _ := opts.(*ordered.Map)
		for _, k := range om.Keys() {
			ov, _ := om.Get(k)
			o, _ := ov.(*ordered.Map)
			po := previewOption{Key: k, DisplayName: str(o, "display_name")}
			cv, _ := o.Get("choices")
			cm, _ := cv.(*ordered.Map)
			chosen := false
			for _, ck := range cm.Keys() {
				ch, _ := cm.Get(ck)
				chm, _ := ch.(*ordered.Map)
				sel := truthy(chm, "default")
				chosen = chosen || sel
				po.Choices = append(po.Choices, previewChoice{Key: ck, DisplayName: str(chm, "display_name"), Selected: sel})
			}
			if !chosen && len(po.Choices) > 0 {
				po.Choices[0].Selected = true // KubeSpawner makes the first choice the default
			}
			if uv, ok := o.Get("unlisted_choice"); ok {
				if u, ok := uv.(*ordered.Map); ok && truthy(u, "enabled") {
					po.Unlisted = &model.Unlisted{Enabled: true, DisplayName: str(u, "display_name"),
						DisplayNameInChoices: str(u, "display_name_in_choices"), ValidationRegex: str(u, "validation_regex"),
						ValidationMessage: str(u, "validation_message")}
					if po.Unlisted.DisplayNameInChoices == "" {
						po.Unlisted.DisplayNameInChoices = "Other..."
					}
				}
			}
			pp.Options = append(pp.Options, po)
		}
		out = append(out, pp)
	}
	if !anyDefault && len(out) > 0 {
		out[0].Checked = true // KubeSpawner makes the first profile the default
	}
	return out
}
