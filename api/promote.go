package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/peer"
)

// Peers: other hubprofiles servers (a staging hub) named in the
// infrastructure config, to compare with and promote from.

func (h *Handler) listPeers(c echo.Context) error {
	out := []map[string]string{}
	for _, p := range h.edit.Config().Peers {
		out = append(out, map[string]string{"name": p.Name, "url": p.URL})
	}
	return c.JSON(http.StatusOK, map[string]any{"peers": out})
}

// fetchPeer reads a peer's catalog; a peer that cannot be read is a 502
// that says why.
func (h *Handler) fetchPeer(c echo.Context, name, which string) (*peer.Snapshot, error) {
	if err := peer.CheckRevision(which); err != nil {
		return nil, &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: err.Error(),
			Fields: []Field{{Path: "/revision", Message: err.Error(), Severity: "error"}}}
	}
	snap, err := h.peers.FetchNamed(c.Request().Context(), h.edit.Config(), name, which)
	var pe *peer.Error
	if errors.As(err, &pe) {
		return nil, apiError(http.StatusBadGateway, "peer_unavailable", "%s; nothing was changed", pe.Error())
	}
	return snap, err
}

// comparePeer lists what differs between the peer's revision (?revision=
// live, head or a number; default live) and this hub's head.
func (h *Handler) comparePeer(c echo.Context) error {
	snap, err := h.fetchPeer(c, param(c, "name"), c.QueryParam("revision"))
	if err != nil {
		return err
	}
	head, diffs, err := h.edit.Compare(c.Request().Context(), snap.Catalog)
	if err != nil {
		return err
	}
	if diffs == nil {
		diffs = []model.Difference{}
	}
	setETag(c, head.BaseID())
	return c.JSON(http.StatusOK, map[string]any{
		"peer": snap.Peer, "peer_revision": snap.Revision, "peer_live": snap.Live,
		"head": head.BaseID(), "differences": diffs,
	})
}

// promote takes what the body selects from a peer into one draft revision.
func (h *Handler) promote(c echo.Context) error {
	var body struct {
		From     string   `json:"from"`
		Revision string   `json:"revision"`
		Images   []string `json:"images"`
		Profiles []string `json:"profiles"`
		Defaults bool     `json:"defaults"`
		Message  string   `json:"message"`
	}
	if err := decode(c, &body); err != nil {
		return err
	}
	if body.From == "" {
		return &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: "from: name the peer to promote from",
			Fields: []Field{{Path: "/from", Message: "required", Severity: "error"}}}
	}
	b, err := base(c, false)
	if err != nil {
		return err
	}
	snap, err := h.fetchPeer(c, body.From, body.Revision)
	if err != nil {
		return err
	}
	var images edit.RefChecker
	if h.images != nil {
		images = h.images
	}
	res, err := h.edit.Promote(c.Request().Context(),
		edit.PeerCatalog{Peer: snap.Peer, Revision: snap.Revision, Catalog: snap.Catalog},
		model.Selection{Images: body.Images, Profiles: body.Profiles, Defaults: body.Defaults},
		edit.Change{Base: b, Author: author(c), Message: body.Message}, images)
	if err != nil {
		return err
	}
	setETag(c, res.Revision.ID)
	rev, err := h.resultRevision(c, res.Result, false)
	if err != nil {
		return err
	}
	out := map[string]any{"revision": rev, "peer": snap.Peer, "peer_revision": snap.Revision,
		"took": append([]string{}, res.Took...), "warnings": fields(res.Warnings)}
	if len(res.Errors) > 0 {
		out["errors"] = fields(res.Errors)
	}
	if res.Unchanged {
		out["unchanged"] = true
		return c.JSON(http.StatusOK, out)
	}
	c.Response().Header().Set("Location", "revisions/"+strconv.FormatInt(res.Revision.ID, 10))
	return c.JSON(http.StatusCreated, out)
}
