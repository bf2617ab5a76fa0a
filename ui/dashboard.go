package ui

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/infra"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/profilelist"
	"github.com/jupyterhub/hubprofiles/registry"
	"github.com/jupyterhub/hubprofiles/store"
)

type dashboardData struct {
	Live        *store.Revision
	LiveBy      string
	Head        *store.Revision
	Unpublished []string // what the draft head changes against the live revision
	Errors      []model.Finding
	Warnings    []model.Finding
	Problems    []problemGroup // the same, grouped as the admin reads the catalog
	Images      []imageRow     // images whose last check found a problem
	// Unchecked are images whose registry answer has expired after a
	// problem, or that were never checked: said as such, not as "none".
	Unchecked []uncheckedImage
	Newer     []repoHint // repositories with images on older tags
	Recent    []historyRow
	// Unreadable says which stored revisions this version cannot read
	// (the head or the live one) and what is shown instead.
	Unreadable []string
}

func (h *Handler) dashboard(c echo.Context) error {
	ctx := c.Request().Context()
	head, err := h.edit.Head(ctx)
	if err != nil {
		return h.fail(c, err)
	}
	d := dashboardData{Head: head.Revision}
	if head.Skipped != nil {
		shown := "an empty catalog (no earlier revision is readable)"
		if head.Revision != nil {
			shown = fmt.Sprintf("revision %d, the newest readable one", head.Revision.ID)
		}
		d.Unreadable = append(d.Unreadable, fmt.Sprintf("The newest revision cannot be read: %v. These pages show %s; the next change you save replaces it.", head.Skipped, shown))
	}
	pub, live, err := h.edit.Live(ctx)
	var bad *edit.UnreadableError
	switch {
	case err == nil:
		if live.Skipped != nil {
			d.Unreadable = append(d.Unreadable, fmt.Sprintf("The live revision cannot be read: %v. profile_list serves revision %d, the newest readable publication, until a readable revision is published.", live.Skipped, live.Revision.ID))
		}
		d.Live, d.LiveBy = live.Revision, pub.Author
		if head.Revision != nil && head.Revision.ID != live.Revision.ID {
			d.Unpublished = model.Summarize(live.Catalog, head.Catalog)
			if len(d.Unpublished) == 0 {
				d.Unpublished = []string{"no change to the catalog (only new revisions with the same content)"}
			}
		}
	case errors.As(err, &bad):
		d.Unreadable = append(d.Unreadable, fmt.Sprintf("The live revision cannot be read: %v. No earlier publication can be read either, so profile_list answers 503 and the hub uses its fallback list until a readable revision is published.", bad))
	case errors.Is(err, model.ErrNotFound):
		if head.Revision != nil {
			d.Unpublished = model.Summarize(&model.Catalog{}, head.Catalog)
		}
	default:
		return h.fail(c, err)
	}
	for _, f := range h.edit.ValidateRevision(ctx, head) {
		if f.Severity == model.Error {
			d.Errors = append(d.Errors, f)
		} else {
			d.Warnings = append(d.Warnings, f)
		}
	}
	d.Newer = h.newerHints(ctx, head.Catalog)
	d.Problems = groupProblems(append(append([]model.Finding{}, d.Errors...), d.Warnings...), catalogNamer(head.Catalog))
	for _, row := range h.imageRows(head.Catalog) {
		switch {
		case row.Status == string(registry.Exists):
		case row.Status != "":
			d.Images = append(d.Images, row)
		case h.images != nil:
			if u, ok := h.unchecked(row.Image); ok {
				d.Unchecked = append(d.Unchecked, u)
			}
		}
	}
	if d.Recent, err = h.history(c, 0, 5); err != nil {
		return h.fail(c, err)
	}
	return h.render(c, http.StatusOK, "dashboard", "", h.page(c, "Dashboard", "dashboard", d))
}

// uncheckedImage is an image the registry's answer is no longer known for.
type uncheckedImage struct {
	Slug  string
	Since time.Time // zero: never checked
	Last  string    // the last answer, when it was a problem
}

// unchecked says whether the dashboard must list an image as not checked:
// never checked, or last found wrong and since expired (a failure is kept
// only a minute; the page must not then say all is well).
func (h *Handler) unchecked(im model.Image) (uncheckedImage, bool) {
	last, ok := h.images.Last(im.Ref)
	switch {
	case !ok:
		return uncheckedImage{Slug: im.Slug}, true
	case last.Status == registry.Exists:
		return uncheckedImage{}, false
	}
	return uncheckedImage{Slug: im.Slug, Since: last.CheckedAt, Last: last.Message}, true
}

type nodeGroupsData struct {
	Groups []nodeGroupRow
	// EditorOverrides is what editors may set in a kubespawner_override
	// (policy.editorOverrides); Builtin says it is the built-in default.
	EditorOverrides []string
	Builtin, All    bool
}

type nodeGroupRow struct {
	model.NodeGroup
	Memory   string
	Selector string
	Used     []string
}

func (h *Handler) nodeGroupsPage(c echo.Context) error {
	head, err := h.edit.Head(c.Request().Context())
	if err != nil {
		return h.fail(c, err)
	}
	pol := h.edit.Config().Policy
	d := nodeGroupsData{EditorOverrides: pol.EditorOverrides, Builtin: pol.EditorOverrides == nil}
	if d.Builtin {
		d.EditorOverrides = infra.DefaultEditorOverrides
	}
	d.All = pol.EditorMay("*")
	list, _ := profilelist.Render(head.Catalog) // the rendered list: raw selectors count too
	for _, ng := range head.Catalog.NodeGroups {
		row := nodeGroupRow{NodeGroup: ng, Memory: formatBytes(ng.Allocatable.Memory)}
		for _, k := range ng.NodeSelector.Keys() {
			v, _ := ng.NodeSelector.Get(k)
			row.Selector += k + "=" + toString(v) + " "
		}
		for i, p := range head.Catalog.Profiles {
			if p.UsesNodeGroup(ng.Slug) || (i < len(list) && selects(list[i], ng)) {
				row.Used = append(row.Used, p.DisplayName)
			}
		}
		d.Groups = append(d.Groups, row)
	}
	return h.render(c, http.StatusOK, "nodegroups", "", h.page(c, "Node groups", "node-groups", d))
}

// state is the head with a friendly error for an empty store.
func (h *Handler) head(c echo.Context) (*edit.State, error) {
	return h.edit.Head(c.Request().Context())
}

// selects reports whether a rendered profile, or one of its choices, sets
// exactly the node group's selector in its override.
func selects(profile any, ng model.NodeGroup) bool {
	p, _ := profile.(*ordered.Map)
	match := func(m *ordered.Map) bool {
		ov, _ := m.Get("kubespawner_override")
		om, _ := ov.(*ordered.Map)
		sel, ok := om.Get("node_selector")
		return ok && ng.NodeSelector.Len() > 0 && ordered.Equal(sel, ng.NodeSelector)
	}
	if p == nil {
		return false
	}
	if match(p) {
		return true
	}
	opts, _ := p.Get("profile_options")
	om, _ := opts.(*ordered.Map)
	for _, k := range om.Keys() {
		o, _ := om.Get(k)
		oo, _ := o.(*ordered.Map)
		cs, _ := oo.Get("choices")
		cm, _ := cs.(*ordered.Map)
		for _, ck := range cm.Keys() {
			ch, _ := cm.Get(ck)
			if chm, ok := ch.(*ordered.Map); ok && match(chm) {
				return true
			}
		}
	}
	return false
}
