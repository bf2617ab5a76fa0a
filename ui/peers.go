package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/peer"
)

// "Compare with <peer>": what differs between a peer hub's catalog (a
// staging hub's) and this hub's head, per image, profile and the defaults;
// the editor ticks what to take and gets one draft revision.

type peerData struct {
	Peer        string
	URL         string
	Which       string // live or head, as asked
	Revision    int64  // the peer's revision compared with
	Live        bool   // it is the peer's live revision
	Base        int64  // this hub's head
	Differences []model.Difference
}

// peerFailed is the page for a peer that cannot be read.
func (h *Handler) peerFailed(c echo.Context, err error) error {
	var pe *peer.Error
	if errors.As(err, &pe) {
		return h.message(c, http.StatusBadGateway, "Cannot read "+pe.Peer, pe.Error()+". Nothing was changed.")
	}
	return h.fail(c, err)
}

func (h *Handler) peerPage(c echo.Context) error {
	name, which := c.Param("name"), c.QueryParam("revision")
	if which != "head" {
		which = "live"
	}
	snap, err := h.peers.FetchNamed(c.Request().Context(), h.edit.Config(), name, which)
	if err != nil {
		return h.peerFailed(c, err)
	}
	head, diffs, err := h.edit.Compare(c.Request().Context(), snap.Catalog)
	if err != nil {
		return h.fail(c, err)
	}
	p, _ := h.edit.Config().Peer(name)
	d := peerData{Peer: name, URL: p.URL, Which: which, Revision: snap.Revision, Live: snap.Live, Base: head.BaseID(), Differences: diffs}
	return h.render(c, http.StatusOK, "peer", "", h.page(c, "Compare with "+name, "history", d))
}

// promote takes the ticked differences ("take" = image:SLUG, profile:SLUG
// or defaults) from the peer's revision the page compared with.
func (h *Handler) promote(c echo.Context) error {
	name := c.Param("name")
	form, err := c.FormParams()
	if err != nil {
		return h.message(c, http.StatusBadRequest, "Bad form", err.Error())
	}
	var sel model.Selection
	for _, t := range form["take"] {
		kind, slug, _ := strings.Cut(t, ":")
		switch kind {
		case model.KindImage:
			sel.Images = append(sel.Images, slug)
		case model.KindProfile:
			sel.Profiles = append(sel.Profiles, slug)
		case model.KindDefaults:
			sel.Defaults = true
		}
	}
	if sel.Empty() {
		return h.message(c, http.StatusUnprocessableEntity, "Nothing ticked", "Tick the images, profiles or defaults to take from "+name+". Nothing was changed.")
	}
	if err := peer.CheckRevision(c.FormValue("revision")); err != nil {
		return h.message(c, http.StatusBadRequest, "Bad revision", err.Error())
	}
	ctx := c.Request().Context()
	snap, err := h.peers.FetchNamed(ctx, h.edit.Config(), name, c.FormValue("revision"))
	if err != nil {
		return h.peerFailed(c, err)
	}
	var images edit.RefChecker
	if h.images != nil {
		images = h.images
	}
	res, err := h.edit.Promote(ctx, edit.PeerCatalog{Peer: snap.Peer, Revision: snap.Revision, Catalog: snap.Catalog}, sel,
		edit.Change{Base: formBase(c), Author: author(c), Message: c.FormValue("message")}, images)
	if err != nil {
		if se := staleOf(err); se != nil {
			return h.message(c, http.StatusConflict, "Someone else changed the catalog", se.Error()+". Nothing was taken; compare again.")
		}
		return h.fail(c, err)
	}
	if note := nothingChanged(res.Result); note != "" {
		return h.done(c, "peers/"+name, note)
	}
	return h.done(c, fmt.Sprintf("history/%d", res.Revision.ID), fmt.Sprintf(
		"Revision %d is a new draft with %s from %s revision %d; publish it to make it live.",
		res.Revision.ID, strings.Join(res.Took, ", "), snap.Peer, snap.Revision))
}
