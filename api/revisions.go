package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/profilelist"
	"github.com/jupyterhub/hubprofiles/store"
)

// revisionJSON is a revision as scripts see it.
type revisionJSON struct {
	ID            int64           `json:"id"`
	ParentID      int64           `json:"parent_id,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
	Author        string          `json:"author"`
	Message       string          `json:"message"`
	ContentSHA256 string          `json:"content_sha256"`
	ChainSHA256   string          `json:"chain_sha256"`
	Live          bool            `json:"live"`
	Catalog       json.RawMessage `json:"catalog,omitempty"`
	ProfileList   json.RawMessage `json:"profile_list,omitempty"`
}

func revisionView(r *store.Revision, live bool) revisionJSON {
	return revisionJSON{ID: r.ID, ParentID: r.ParentID, CreatedAt: r.CreatedAt, Author: r.Author, Message: r.Message,
		ContentSHA256: r.ContentSHA256, ChainSHA256: r.ChainSHA256, Live: live}
}

// resultRevision is the revision a write answers with: the new one, or for
// a write that changed nothing the unchanged head, live or not.
func (h *Handler) resultRevision(c echo.Context, res *edit.Result, published bool) (revisionJSON, error) {
	if !res.Unchanged {
		return revisionView(res.Revision, published), nil
	}
	live, err := h.liveID(c)
	if err != nil {
		return revisionJSON{}, err
	}
	return revisionView(res.Revision, live == res.Revision.ID), nil
}

// liveID is the published revision's id, 0 when nothing is published.
func (h *Handler) liveID(c echo.Context) (int64, error) {
	return h.edit.LiveID(c.Request().Context())
}

func (h *Handler) listRevisions(c echo.Context) error {
	before, err := intQuery(c, "before", 0)
	if err != nil {
		return err
	}
	limit, err := intQuery(c, "limit", 50)
	if err != nil {
		return err
	}
	if limit < 1 || limit > 500 {
		return apiError(http.StatusBadRequest, "bad_request", "limit must be between 1 and 500")
	}
	ctx := c.Request().Context()
	revs, err := h.edit.Revisions(ctx, before, int(limit))
	if err != nil {
		return err
	}
	live, err := h.liveID(c)
	if err != nil {
		return err
	}
	out := make([]revisionJSON, 0, len(revs))
	for i := range revs {
		out = append(out, revisionView(&revs[i], revs[i].ID == live))
	}
	body := revisionsReply{Revisions: out, Live: live}
	if len(revs) == int(limit) && revs[len(revs)-1].ID > 1 {
		body.NextBefore = revs[len(revs)-1].ID
	}
	return c.JSON(http.StatusOK, body)
}

func intQuery(c echo.Context, name string, def int64) (int64, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, apiError(http.StatusBadRequest, "bad_request", "%s must be a number, not %q", name, v)
	}
	return n, nil
}

func (h *Handler) getRevision(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	r, err := h.edit.Revision(c.Request().Context(), id)
	if err != nil {
		return err
	}
	live, err := h.liveID(c)
	if err != nil {
		return err
	}
	v := revisionView(r, r.ID == live)
	v.Catalog, v.ProfileList = r.Catalog, r.ProfileList
	return c.JSON(http.StatusOK, v)
}

// diffRevision compares revision id with ?against= (default: its parent),
// both as catalogs and as the profile lists KubeSpawner would get.
func (h *Handler) diffRevision(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	to, err := h.edit.At(ctx, id)
	if err != nil {
		return err
	}
	against, err := intQuery(c, "against", to.Revision.ParentID)
	if err != nil {
		return err
	}
	from := &edit.State{Catalog: &model.Catalog{}}
	if against > 0 {
		if from, err = h.edit.At(ctx, against); err != nil {
			return err
		}
	}
	fromList, err := profilelist.Render(from.Catalog)
	if err != nil {
		return err
	}
	toList, err := profilelist.Render(to.Catalog)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, diffReply{
		From: against, To: id,
		Catalog:     changes(ordered.Diff(edit.CatalogValue(from.Catalog), edit.CatalogValue(to.Catalog))),
		ProfileList: changes(ordered.Diff(fromList, toList)),
	})
}

func changes(cs []ordered.Change) []ordered.Change {
	if cs == nil {
		return []ordered.Change{}
	}
	return cs
}

func (h *Handler) publishRevision(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var body struct {
		Message string `json:"message"`
	}
	if err := decodeOptional(c, &body); err != nil {
		return err
	}
	if body.Message == "" {
		body.Message = message(c, "publish revision "+strconv.FormatInt(id, 10))
	}
	p, warnings, err := h.edit.Publish(c.Request().Context(), id, author(c), body.Message)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, publishReply{Publication: publicationView(p), Warnings: fields(warnings)})
}

func (h *Handler) restoreRevision(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	b, err := base(c, false)
	if err != nil {
		return err
	}
	res, err := h.edit.Restore(c.Request().Context(), id, b, author(c), message(c, ""))
	if err != nil {
		return err
	}
	setETag(c, res.Revision.ID)
	rev, err := h.resultRevision(c, res, false)
	if err != nil {
		return err
	}
	body := writeReply{Revision: rev, Warnings: fields(res.Warnings), Errors: fields(res.Errors), Unchanged: res.Unchanged}
	if res.Unchanged {
		return c.JSON(http.StatusOK, body)
	}
	return c.JSON(http.StatusCreated, body)
}

type publicationJSON struct {
	ID         int64     `json:"id"`
	RevisionID int64     `json:"revision_id"`
	CreatedAt  time.Time `json:"created_at"`
	Author     string    `json:"author"`
	Message    string    `json:"message"`
}

func publicationView(p *store.Publication) publicationJSON {
	return publicationJSON{ID: p.ID, RevisionID: p.RevisionID, CreatedAt: p.CreatedAt, Author: p.Author, Message: p.Message}
}

func (h *Handler) listPublications(c echo.Context) error {
	limit, err := intQuery(c, "limit", 50)
	if err != nil {
		return err
	}
	if limit < 1 || limit > 500 {
		return apiError(http.StatusBadRequest, "bad_request", "limit must be between 1 and 500")
	}
	ps, err := h.edit.Publications(c.Request().Context(), int(limit))
	if err != nil {
		return err
	}
	out := make([]publicationJSON, 0, len(ps))
	for i := range ps {
		out = append(out, publicationView(&ps[i]))
	}
	return c.JSON(http.StatusOK, publicationsReply{Publications: out})
}
