package ui

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/profilelist"
	"github.com/jupyterhub/hubprofiles/usage"
)

// confirmData is what a confirmation page shows before a publish, a roll
// back, a restore or a delete happens: how the list users get would differ
// from what is live, what users lose, and the warnings the write would
// answer with. The buttons that do these things lead here (GET); only the
// form on this page writes (POST, with the CSRF token).
type confirmData struct {
	Heading  string
	Lead     string // what confirming does, in one sentence
	Action   string // the POST target, relative to the prefix
	Button   string
	Danger   bool
	Cancel   string // where "Cancel" goes, relative to the prefix
	Base     int64  // sent back for writes that check for a stale base
	WithBase bool
	WithLive bool  // a publish: sent back so that it is refused if another publish happened since
	Live     int64 // the live revision; 0: nothing is live
	LosesAll bool  // users have profiles now and would have none
	Losses   []model.Finding
	Warnings []model.Finding
	Errors   []model.Finding
	// The same, grouped by profile, option and choice (problems.go).
	WarningGroups, ErrorGroups []problemGroup
	Diff                       []ordered.Change // live list → list after
	// InUse is what the change takes away that users run now or used in
	// the last 30 days, in words; Usage says whether usage is known.
	InUse []model.Finding
	Usage *usage.Report
}

// consequences fills in what replacing the live list with after's does.
// Warnings are the validator's, without the losses (shown apart).
func (h *Handler) consequences(c echo.Context, after *model.Catalog, d *confirmData) error {
	ctx := c.Request().Context()
	var liveList any = []any{}
	if p, live, err := h.edit.Live(ctx); err == nil {
		d.Live = p.RevisionID
		d.Usage = h.edit.Usage(live.Catalog)
		if l, err := profilelist.Render(live.Catalog); err == nil {
			liveList = l
		}
	}
	list, err := profilelist.Render(after)
	if err != nil {
		d.Errors = []model.Finding{{Severity: model.Error, Path: "/profiles", Message: err.Error()}}
		return nil
	}
	d.Diff = ordered.Diff(liveList, list)
	d.Losses = profilelist.Losses(list, liveList)
	liveItems, _ := liveList.([]any)
	d.LosesAll = len(liveItems) > 0 && len(list) == 0
	d.InUse = h.edit.UsageRemoved(ctx, after)
	lost := map[string]bool{}
	for _, f := range append(d.Losses, d.InUse...) {
		lost[f.Message] = true
	}
	for _, f := range h.edit.Validate(ctx, after) {
		switch {
		case f.Severity == model.Error:
			d.Errors = append(d.Errors, f)
		case !lost[f.Message]:
			d.Warnings = append(d.Warnings, f)
		}
	}
	name := catalogNamer(after)
	d.ErrorGroups, d.WarningGroups = groupProblems(d.Errors, name), groupProblems(d.Warnings, name)
	return nil
}

func (h *Handler) confirm(c echo.Context, d confirmData) error {
	return h.render(c, http.StatusOK, "confirm", "confirm", h.page(c, d.Heading, "", d))
}

func (h *Handler) confirmPublish(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return h.message(c, http.StatusBadRequest, "Bad revision", "the revision must be a number")
	}
	st, err := h.edit.At(c.Request().Context(), id)
	if err != nil {
		return h.fail(c, err)
	}
	d := confirmData{Heading: fmt.Sprintf("Publish revision %d?", id), Button: fmt.Sprintf("Publish revision %d", id),
		Action: fmt.Sprintf("history/%d/publish", id), Cancel: fmt.Sprintf("history/%d", id), WithLive: true,
		Lead: "Publishing makes this revision the list every user picks from, on KubeSpawner's next request."}
	if err := h.consequences(c, st.Catalog, &d); err != nil {
		return h.fail(c, err)
	}
	if d.Live > id {
		d.Heading, d.Button = fmt.Sprintf("Roll back to revision %d?", id), fmt.Sprintf("Roll back to revision %d", id)
	}
	d.Danger = d.LosesAll || len(d.Losses) > 0
	return h.confirm(c, d)
}

func (h *Handler) confirmRestore(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return h.message(c, http.StatusBadRequest, "Bad revision", "the revision must be a number")
	}
	ctx := c.Request().Context()
	st, err := h.edit.At(ctx, id)
	if err != nil {
		return h.fail(c, err)
	}
	head, err := h.edit.Head(ctx)
	if err != nil {
		return h.fail(c, err)
	}
	after := edit.Clone(st.Catalog)
	after.NodeGroups = head.Catalog.NodeGroups // as Restore does
	d := confirmData{Heading: fmt.Sprintf("Restore revision %d as a new draft?", id), Button: fmt.Sprintf("Restore revision %d", id),
		Action: fmt.Sprintf("history/%d/restore", id), Cancel: fmt.Sprintf("history/%d", id), Base: head.BaseID(), WithBase: true,
		Lead: "Restoring writes a new draft with this revision's content; users get it only when it is published. Compared with what is live:"}
	if err := h.consequences(c, after, &d); err != nil {
		return h.fail(c, err)
	}
	return h.confirm(c, d)
}

func (h *Handler) confirmDeleteProfile(c echo.Context) error {
	slug := c.Param("slug")
	head, err := h.edit.Head(c.Request().Context())
	if err != nil {
		return h.fail(c, err)
	}
	after := edit.Clone(head.Catalog)
	if err := after.RemoveProfile(slug); err != nil {
		return h.fail(c, err)
	}
	d := confirmData{Heading: fmt.Sprintf("Delete profile %s?", slug), Button: "Delete profile " + slug, Danger: true,
		Action: "profiles/" + slug + "/delete", Cancel: "profiles/" + slug, Base: head.BaseID(), WithBase: true,
		Lead: "Deleting writes a new draft without this profile; users lose it when that draft is published. Compared with what is live:"}
	if err := h.consequences(c, after, &d); err != nil {
		return h.fail(c, err)
	}
	return h.confirm(c, d)
}

func (h *Handler) confirmDeleteImage(c echo.Context) error {
	slug := c.Param("slug")
	head, err := h.edit.Head(c.Request().Context())
	if err != nil {
		return h.fail(c, err)
	}
	after := edit.Clone(head.Catalog)
	if err := after.RemoveImage(slug); err != nil {
		return h.fail(c, err)
	}
	d := confirmData{Heading: fmt.Sprintf("Remove image %s?", slug), Button: "Remove image " + slug, Danger: true,
		Action: "images/" + slug + "/delete", Cancel: "images/" + slug, Base: head.BaseID(), WithBase: true,
		Lead: "Removing writes a new draft without this image; it is used by no profile. Compared with what is live:"}
	if err := h.consequences(c, after, &d); err != nil {
		return h.fail(c, err)
	}
	return h.confirm(c, d)
}
