package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
)

// pageError is how the pages answer an error code: a status, the page's
// heading, and what to add to the message for someone at a browser.
type pageError struct {
	status  int
	heading string
	advice  string
}

// pageErrors is the one place where the pages turn error codes into
// statuses and headings. A stale write is a 409 here (not the API's 412):
// htmx swaps a 409 in, so the form comes back with what changed.
var pageErrors = map[model.Code]pageError{
	model.CodeInvalid:              {http.StatusUnprocessableEntity, "Refused", ""},
	model.CodeBadRequest:           {http.StatusBadRequest, "Bad request", ""},
	model.CodeNotFound:             {http.StatusNotFound, "Not found", ""},
	model.CodeExists:               {http.StatusConflict, "Already exists", ""},
	model.CodeInUse:                {http.StatusConflict, "Still in use", ". Remove those uses first."},
	model.CodeStale:                {http.StatusConflict, "Someone else changed the catalog", ". Nothing was saved; look at the history and try again."},
	model.CodeConflict:             {http.StatusConflict, "Someone else changed the catalog", ""},
	model.CodeUnreadable:           {http.StatusConflict, "Unreadable revision", ". Nothing was changed; the dashboard says which revision is shown instead."},
	model.CodeTooLarge:             {http.StatusRequestEntityTooLarge, "Too large", ""},
	model.CodePreconditionRequired: {http.StatusPreconditionRequired, "Refused", ""},
	model.CodeUnauthorized:         {http.StatusUnauthorized, "Not logged in", ""},
	model.CodeForbidden:            {http.StatusForbidden, "Not allowed", ""},
	model.CodeInsufficientScope:    {http.StatusForbidden, "Not allowed", ""},
	model.CodeCSRF:                 {http.StatusForbidden, "Refused", ""},
	model.CodeHubUnavailable:       {http.StatusServiceUnavailable, "JupyterHub is unreachable", ""},
	model.CodeDatabaseUnavailable:  {http.StatusServiceUnavailable, "The database is unavailable", ""},
	model.CodeNothingPublished:     {http.StatusServiceUnavailable, "Nothing is published", ""},
	model.CodePeerUnavailable:      {http.StatusBadGateway, "The peer cannot be read", ""},
}

// fail answers an error of a page's handler with the message page, in the
// layout: the status and heading of its code, the same vocabulary as the
// API. Unexpected errors are logged here, once, and the page only says
// that something went wrong.
func (h *Handler) fail(c echo.Context, err error) error {
	var he *echo.HTTPError
	if errors.As(err, &he) && model.CodeOf(err) == model.CodeInternal {
		// Echo's own: no such page (404), a method a page lacks (405).
		text := fmt.Sprint(he.Message)
		if he.Code == http.StatusNotFound {
			text = "There is no page at " + c.Request().URL.Path + "."
		}
		return h.message(c, he.Code, http.StatusText(he.Code), text)
	}
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return h.tooLarge(c, -1, maxErr.Limit)
	}
	p := model.ProblemOf(err)
	pe, ok := pageErrors[p.Code]
	if !ok {
		h.log.Error("page request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
		return h.message(c, http.StatusInternalServerError, "Something went wrong", "The server log has the details.")
	}
	text := model.MessageOf(err) + pe.advice
	if p.Code == model.CodeInvalid {
		var lines []string
		for _, f := range p.Findings {
			if f.Severity == model.Error {
				lines = append(lines, f.Path+": "+f.Message)
			}
		}
		text = "Nothing was saved: " + strings.Join(lines, "; ")
	}
	return h.message(c, pe.status, pe.heading, text)
}

// errors answers the errors of a page route (its guard's refusals
// included) with fail.
func (h *Handler) errors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := next(c); err != nil && !c.Response().Committed {
			return h.fail(c, err)
		}
		return nil
	}
}

// Error answers an error outside the pages' handlers (a URL no route has,
// a guard's refusal) with the message page in the layout, for browsers.
func (h *Handler) Error(c echo.Context, err error) error { return h.fail(c, err) }

// statusOf is the status a form answered with an error gets: its code's,
// or 422 (the form comes back with the messages next to its fields).
func statusOf(err error) int {
	if pe, ok := pageErrors[model.CodeOf(err)]; ok {
		return pe.status
	}
	return http.StatusUnprocessableEntity
}

// staleOf is the stale write err is, or nil.
func staleOf(err error) *edit.StaleError {
	var se *edit.StaleError
	if errors.As(err, &se) {
		return se
	}
	return nil
}
