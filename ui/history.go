package ui

import (
	"errors"
	"fmt"
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

// historyRow is a revision, as a page shows it, with what it changed, in
// words. (Its own fields, not the store's: the page shows what it lists.)
type historyRow struct {
	ID                         int64
	CreatedAt                  time.Time
	Author, Message            string
	ContentSHA256, ChainSHA256 string
	Live                       bool
	WasLive                    bool // published before, not live now
	Head                       bool
	Summary                    []string
}

// history lists revisions older than before (0: from the head), newest
// first, each summarised against its parent.
func (h *Handler) history(c echo.Context, before int64, limit int) ([]historyRow, error) {
	ctx := c.Request().Context()
	revs, err := h.edit.Revisions(ctx, before, limit)
	if err != nil {
		return nil, err
	}
	liveID, _ := h.edit.LiveID(ctx)
	headID, _ := h.edit.HeadID(ctx)
	published := map[int64]bool{}
	if ps, err := h.edit.Publications(ctx, 1000); err == nil {
		for _, p := range ps {
			published[p.RevisionID] = true
		}
	}
	rows := make([]historyRow, 0, len(revs))
	for _, r := range revs {
		row := historyRow{ID: r.ID, CreatedAt: r.CreatedAt, Author: r.Author, Message: r.Message,
			ContentSHA256: r.ContentSHA256, ChainSHA256: r.ChainSHA256, Live: r.ID == liveID, Head: r.ID == headID}
		row.WasLive = !row.Live && published[r.ID]
		var bad *edit.UnreadableError
		to, err := h.edit.At(ctx, r.ID)
		if errors.As(err, &bad) { // listed, so that the history stays readable around it
			row.Summary = []string{"this version cannot read this revision: " + bad.Err.Error()}
			rows = append(rows, row)
			continue
		}
		if err != nil {
			return nil, err
		}
		from := &model.Catalog{}
		if r.ParentID > 0 {
			parent, err := h.edit.At(ctx, r.ParentID)
			if errors.As(err, &bad) {
				row.Summary = []string{"the revision before it cannot be read; compared with an empty catalog:"}
			} else if err != nil {
				return nil, err
			} else {
				from = parent.Catalog
			}
		}
		row.Summary = append(row.Summary, model.Summarize(from, to.Catalog)...)
		rows = append(rows, row)
	}
	return rows, nil
}

type historyData struct {
	Rows       []historyRow
	NextBefore int64
	Base       int64
	LiveID     int64
	Peers      []string // the peer hubs to compare with (infrastructure config)
}

const historyPage = 25

func (h *Handler) historyPage(c echo.Context) error {
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	rows, err := h.history(c, before, historyPage)
	if err != nil {
		return h.fail(c, err)
	}
	d := historyData{Rows: rows}
	for _, p := range h.edit.Config().Peers {
		d.Peers = append(d.Peers, p.Name)
	}
	if len(rows) == historyPage && rows[len(rows)-1].ID > 1 {
		d.NextBefore = rows[len(rows)-1].ID
	}
	d.Base, _ = h.edit.HeadID(c.Request().Context())
	d.LiveID, _ = h.edit.LiveID(c.Request().Context())
	return h.render(c, http.StatusOK, "history", "history-list", h.page(c, "History", "history", d))
}

type revisionData struct {
	Row         historyRow
	Against     int64
	Summary     []string
	CatalogDiff []ordered.Change
	ListDiff    []ordered.Change
	Base        int64
	Revisions   []store.Revision // to pick another revision to compare with
}

func (h *Handler) revisionPage(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return h.message(c, http.StatusBadRequest, "Bad revision", "the revision must be a number")
	}
	to, err := h.edit.At(ctx, id)
	if err != nil {
		return h.fail(c, err)
	}
	against := to.Revision.ParentID
	if a, err := strconv.ParseInt(c.QueryParam("against"), 10, 64); err == nil {
		against = a
	}
	from := &edit.State{Catalog: &model.Catalog{}}
	if against > 0 {
		if from, err = h.edit.At(ctx, against); err != nil {
			return h.fail(c, err)
		}
	}
	rows, err := h.history(c, id+1, 1)
	if err != nil || len(rows) == 0 {
		return h.fail(c, fmt.Errorf("revision %d: %w", id, model.ErrNotFound))
	}
	d := revisionData{Row: rows[0], Against: against, Summary: model.Summarize(from.Catalog, to.Catalog),
		CatalogDiff: ordered.Diff(edit.CatalogValue(from.Catalog), edit.CatalogValue(to.Catalog))}
	fromList, err1 := profilelist.Render(from.Catalog)
	toList, err2 := profilelist.Render(to.Catalog)
	if err := errors.Join(err1, err2); err != nil {
		return h.fail(c, err)
	}
	d.ListDiff = ordered.Diff(fromList, toList)
	d.Base, _ = h.edit.HeadID(ctx)
	d.Revisions, _ = h.edit.Revisions(ctx, 0, 100)
	return h.render(c, http.StatusOK, "revision", "", h.page(c, fmt.Sprintf("Revision %d", id), "history", d))
}

func (h *Handler) publish(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return h.message(c, http.StatusBadRequest, "Bad revision", "the revision must be a number")
	}
	// The confirmation page sends the live revision it compared with: if
	// another publish happened since, what it said users lose is stale.
	if seen, err := strconv.ParseInt(c.FormValue("live"), 10, 64); err == nil {
		now, _ := h.edit.LiveID(c.Request().Context())
		if now != seen {
			return h.message(c, http.StatusConflict, "Someone else published meanwhile",
				fmt.Sprintf("The confirmation compared with revision %d, but revision %d is live now. Nothing was published; open the confirmation again to see what users would lose.", seen, now))
		}
	}
	msg := c.FormValue("message")
	if msg == "" {
		msg = fmt.Sprintf("publish revision %d", id)
	}
	if _, _, err := h.edit.Publish(c.Request().Context(), id, author(c), msg); err != nil {
		return h.fail(c, err)
	}
	return h.done(c, "history", fmt.Sprintf("Revision %d is live: KubeSpawner gets it on its next request.", id))
}

func (h *Handler) restore(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return h.message(c, http.StatusBadRequest, "Bad revision", "the revision must be a number")
	}
	res, err := h.edit.Restore(c.Request().Context(), id, formBase(c), author(c), "")
	if err != nil {
		if se := staleOf(err); se != nil {
			return h.message(c, http.StatusConflict, "Someone else changed the catalog", se.Error()+". Nothing was restored; look at the history and try again.")
		}
		return h.fail(c, err)
	}
	if note := nothingChanged(res); note != "" {
		return h.done(c, "history", note)
	}
	return h.done(c, "history", fmt.Sprintf("Revision %d is a new draft (revision %d) with the content of revision %d; publish it to make it live.", res.Revision.ID, res.Revision.ID, id))
}

// summarize says in words what changed between two revisions (nil if
// either cannot be read).
func (h *Handler) summarize(c echo.Context, from, to int64) []string {
	ctx := c.Request().Context()
	a := &model.Catalog{}
	if from > 0 {
		st, err := h.edit.At(ctx, from)
		if err != nil {
			return nil
		}
		a = st.Catalog
	}
	b, err := h.edit.At(ctx, to)
	if err != nil {
		return nil
	}
	return model.Summarize(a, b.Catalog)
}
