package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/auth"
	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/store"
)

// Error is the body of every error response:
// {"error": {"code", "message", "fields": [{"path", "message", "severity"}]}}.
type Error struct {
	Status  int              `json:"-"`
	Code    string           `json:"code"`
	Message string           `json:"message"`
	Fields  []Field          `json:"fields,omitempty"`
	Head    int64            `json:"head,omitempty"`    // stale writes: the current head
	Changes []ordered.Change `json:"changes,omitempty"` // stale writes: what changed since the base
}

// Field is one problem, located by a JSON pointer.
type Field struct {
	Path     string `json:"path"`
	Message  string `json:"message"`
	Severity string `json:"severity,omitempty"`
}

func (e *Error) Error() string { return e.Message }

func apiError(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func fields(fs []model.Finding) []Field {
	out := make([]Field, 0, len(fs))
	for _, f := range fs {
		out = append(out, Field{Path: f.Path, Message: f.Message, Severity: string(f.Severity)})
	}
	return out
}

// errors is the one place where errors become statuses and bodies. Details
// of unexpected errors go to the log, never to the client.
func (h *Handler) errors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if err == nil {
			return nil
		}
		e := h.toAPIError(c, err)
		if c.Response().Committed {
			return nil
		}
		return c.JSON(e.Status, map[string]*Error{"error": e})
	}
}

func (h *Handler) toAPIError(c echo.Context, err error) *Error {
	var (
		ae     *Error
		ve     *edit.ValidationError
		se     *edit.StaleError
		ce     *store.ConflictError
		iu     *model.InUseError
		he     *echo.HTTPError
		maxErr *http.MaxBytesError
		bad    *edit.UnreadableError
	)
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &bad):
		return apiError(http.StatusConflict, "unreadable", "%s; nothing was changed", bad.Error())
	case errors.As(err, &ve):
		e := apiError(http.StatusUnprocessableEntity, "invalid", "%s; nothing was saved", ve.Error())
		e.Fields = fields(ve.Findings)
		return e
	case errors.As(err, &se):
		e := apiError(http.StatusPreconditionFailed, "stale", "%s; nothing was saved. Fetch the head, apply your change again and send If-Match: \"%d\"", se.Error(), se.Head)
		e.Head, e.Changes = se.Head, se.Changes
		return e
	case errors.As(err, &ce):
		return apiError(http.StatusConflict, "conflict", "other writers kept changing the catalog (head is now revision %d); nothing was saved, try again", ce.Head)
	case errors.As(err, &iu):
		return apiError(http.StatusConflict, "in_use", "%s; remove those uses first", iu.Error())
	case errors.Is(err, model.ErrExists):
		return apiError(http.StatusConflict, "exists", "%s", err.Error())
	case errors.Is(err, model.ErrNotFound), errors.Is(err, store.ErrNotFound):
		return apiError(http.StatusNotFound, "not_found", "%s", err.Error())
	case errors.As(err, &maxErr):
		return apiError(http.StatusRequestEntityTooLarge, "too_large", "the request body is larger than %d bytes", maxErr.Limit)
	case errors.As(err, &he):
		code := strings.ToLower(strings.ReplaceAll(http.StatusText(he.Code), " ", "_"))
		return apiError(he.Code, code, "%v", he.Message)
	}
	h.log.Error("api request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	return apiError(http.StatusInternalServerError, "internal", "internal error; the server log has the details")
}

// need refuses a request from a user below the role: 401 for anonymous, 403
// for a known user.
func (h *Handler) need(role auth.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u, err := h.identify.Identify(c)
			if errors.Is(err, auth.ErrHubUnavailable) {
				h.log.Error("identifying a request", "err", err)
				return apiError(http.StatusServiceUnavailable, "hub_unavailable", "JupyterHub cannot be reached to check who you are; try again shortly")
			}
			var se *auth.ScopeError
			if errors.As(err, &se) {
				return apiError(http.StatusForbidden, "insufficient_scope", "%s", se.Error())
			}
			if err != nil {
				return err
			}
			if u == nil {
				return apiError(http.StatusUnauthorized, "unauthorized", "log in, or send Authorization: token <JupyterHub API token>")
			}
			if got := auth.RoleOf(u, h.edit.Config().Access); got < role {
				return apiError(http.StatusForbidden, "forbidden", "%s is a %s here and needs to be a %s; ask a hub admin", u.Name, got, role)
			}
			if err := auth.CheckCSRF(c); err != nil {
				return apiError(http.StatusForbidden, "csrf", "%v", err)
			}
			auth.SetUser(c, u)
			return next(c)
		}
	}
}

func user(c echo.Context) *auth.User { return auth.UserOf(c) }

func author(c echo.Context) string {
	if u := user(c); u != nil {
		return u.Name
	}
	return "unknown"
}

func (h *Handler) bodyLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		limit := maxJSONBody
		if strings.HasSuffix(c.Path(), "/import") || strings.HasSuffix(c.Path(), "/validate") {
			limit = maxImportBody
		}
		r := c.Request()
		if r.ContentLength > limit {
			return apiError(http.StatusRequestEntityTooLarge, "too_large", "the request body is larger than %d bytes", limit)
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
		return next(c)
	}
}

// decodeOptional is decode for a body that may be empty (also when sent
// chunked, without a Content-Length).
func decodeOptional(c echo.Context, v any) error {
	data, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	c.Request().Body = io.NopCloser(bytes.NewReader(data))
	return decode(c, v)
}

// decode reads a JSON body strictly into v: unknown fields and trailing
// data are refused with the place they are at.
func decode(c echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var (
			maxErr  *http.MaxBytesError
			typeErr *json.UnmarshalTypeError
			synErr  *json.SyntaxError
		)
		switch {
		case errors.As(err, &maxErr):
			return err
		case errors.Is(err, io.EOF):
			return apiError(http.StatusBadRequest, "bad_request", "the request needs a JSON body")
		case errors.As(err, &typeErr):
			typeErr.Field = strings.ReplaceAll(typeErr.Field, "Settings.", "") // an embedded struct, not a JSON level
			e := apiError(http.StatusBadRequest, "bad_request", "%s must be %s, not %s", jsonField(typeErr.Field), typeName(typeErr.Type), typeErr.Value)
			e.Fields = []Field{{Path: "/" + strings.ReplaceAll(typeErr.Field, ".", "/"), Message: e.Message}}
			return e
		case errors.As(err, &synErr):
			return apiError(http.StatusBadRequest, "bad_request", "malformed JSON at byte %d: %v", synErr.Offset, err)
		}
		return apiError(http.StatusBadRequest, "bad_request", "%v", err)
	}
	if dec.More() {
		return apiError(http.StatusBadRequest, "bad_request", "unexpected data after the JSON body")
	}
	return nil
}

// typeName says in words what a field takes.
func typeName(t reflect.Type) string {
	if t == reflect.TypeFor[model.Quantity]() {
		return "a string or a number (e.g. \"4G\" or 2)"
	}
	return t.String()
}

func jsonField(f string) string {
	if f == "" {
		return "the body"
	}
	return f
}

// base reads If-Match: the revision the write is based on. Without it the
// change applies to the current head (edit.NoBase); required marks writes
// that replace a whole document, where that would lose someone's work.
func base(c echo.Context, required bool) (int64, error) {
	v := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	if v == "" || v == "*" {
		if required {
			return 0, apiError(http.StatusPreconditionRequired, "precondition_required",
				"this write replaces a whole document: send If-Match with the revision you based it on (the ETag of GET)")
		}
		return edit.NoBase, nil
	}
	v = strings.Trim(strings.TrimPrefix(v, "W/"), `"`)
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 0 {
		return 0, apiError(http.StatusBadRequest, "bad_request", "If-Match must be a revision ETag such as \"12\", not %q", c.Request().Header.Get("If-Match"))
	}
	return id, nil
}

// setETag names the revision a response reflects.
func setETag(c echo.Context, id int64) {
	c.Response().Header().Set("ETag", fmt.Sprintf(`"%d"`, id))
}

// message is the revision message of a write: ?message= or the
// X-Hubprofiles-Message header, else a default.
func message(c echo.Context, def string) string {
	if m := c.QueryParam("message"); m != "" {
		return m
	}
	if m := c.Request().Header.Get("X-Hubprofiles-Message"); m != "" {
		return m
	}
	return def
}

// param is a path parameter, unescaped (a slug may hold a / or a space).
func param(c echo.Context, name string) string {
	v := c.Param(name)
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

func pathID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apiError(http.StatusBadRequest, "bad_request", "revision id must be a positive number, not %q", c.Param("id"))
	}
	return id, nil
}
