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

// peersReply is GET peers' answer.
type peersReply struct {
	Peers []peerView `json:"peers"`
}

type peerView struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// compareReply is GET peers/{name}/compare's answer.
type compareReply struct {
	Differences  []model.Difference `json:"differences"`
	Head         int64              `json:"head"`
	Peer         string             `json:"peer"`
	PeerLive     bool               `json:"peer_live"`
	PeerRevision int64              `json:"peer_revision"`
}

// promoteReply is POST promote's answer.
type promoteReply struct {
	Errors       []Field      `json:"errors,omitempty"`
	Peer         string       `json:"peer"`
	PeerRevision int64        `json:"peer_revision"`
	Revision     revisionJSON `json:"revision"`
	Took         []string     `json:"took"`
	Unchanged    bool         `json:"unchanged,omitempty"`
	Warnings     []Field      `json:"warnings"`
}

func (h *Handler) listPeers(c echo.Context) error {
	out := peersReply{Peers: []peerView{}}
	for _, p := range h.edit.Config().Peers {
		out.Peers = append(out.Peers, peerView{Name: p.Name, URL: p.URL})
	}
	return c.JSON(http.StatusOK, out)
}

// fetchPeer reads a peer's catalog; a peer that cannot be read is a 502
// that says why.
func (h *Handler) fetchPeer(c echo.Context, name, which string) (*peer.Snapshot, error) {
	if err := peer.CheckRevision(which); err != nil {
		return nil, &model.Problem{Code: model.CodeBadRequest, Message: err.Error(),
			Findings: []model.Finding{{Path: "/revision", Message: err.Error(), Severity: model.Error}}}
	}
	snap, err := h.peers.FetchNamed(c.Request().Context(), h.edit.Config(), name, which)
	var pe *peer.Error
	if errors.As(err, &pe) {
		return nil, model.Errorf(model.CodePeerUnavailable, "%s; nothing was changed", pe.Error())
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
	return c.JSON(http.StatusOK, compareReply{Peer: snap.Peer, PeerRevision: snap.Revision, PeerLive: snap.Live,
		Head: head.BaseID(), Differences: diffs})
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
		return &model.Problem{Code: model.CodeBadRequest, Message: "from: name the peer to promote from",
			Findings: []model.Finding{{Path: "/from", Message: "required", Severity: model.Error}}}
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
	out := promoteReply{Revision: rev, Peer: snap.Peer, PeerRevision: snap.Revision,
		Took: append([]string{}, res.Took...), Warnings: fields(res.Warnings), Unchanged: res.Unchanged}
	if len(res.Errors) > 0 {
		out.Errors = fields(res.Errors)
	}
	if res.Unchanged {
		return c.JSON(http.StatusOK, out)
	}
	c.Response().Header().Set("Location", "revisions/"+strconv.FormatInt(res.Revision.ID, 10))
	return c.JSON(http.StatusCreated, out)
}
