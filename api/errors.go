package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
	"github.com/jupyterhub/hubprofiles/registry"
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

// apiError is a problem this surface finds in a request (a bad body, a
// missing If-Match). Its status is the one statuses gives code (the
// argument says it where the error is made, for the reader).
func apiError(status int, code, format string, args ...any) *model.Problem {
	_ = status
	return model.Errorf(model.Code(code), format, args...)
}

func fields(fs []model.Finding) []Field {
	out := make([]Field, 0, len(fs))
	for _, f := range fs {
		out = append(out, Field{Path: f.Path, Message: f.Message, Severity: string(f.Severity)})
	}
	return out
}

// statuses is the one place where the API turns error codes into HTTP
// statuses. A code not listed is a 500.
var statuses = map[model.Code]int{
	model.CodeInvalid:              http.StatusUnprocessableEntity,
	model.CodeBadRequest:           http.StatusBadRequest,
	model.CodeNotFound:             http.StatusNotFound,
	model.CodeExists:               http.StatusConflict,
	model.CodeInUse:                http.StatusConflict,
	model.CodeStale:                http.StatusPreconditionFailed,
	model.CodeConflict:             http.StatusConflict,
	model.CodeUnreadable:           http.StatusConflict,
	model.CodeTooLarge:             http.StatusRequestEntityTooLarge,
	model.CodePreconditionRequired: http.StatusPreconditionRequired,
	model.CodeUnauthorized:         http.StatusUnauthorized,
	model.CodeForbidden:            http.StatusForbidden,
	model.CodeInsufficientScope:    http.StatusForbidden,
	model.CodeCSRF:                 http.StatusForbidden,
	model.CodeHubUnavailable:       http.StatusServiceUnavailable,
	model.CodeDatabaseUnavailable:  http.StatusServiceUnavailable,
	model.CodeNothingPublished:     http.StatusServiceUnavailable,
	model.CodePeerUnavailable:      http.StatusBadGateway,
	codeUpToDate:                   http.StatusConflict,
	codeRegistryChecksOff:          http.StatusServiceUnavailable,
	// What a registry answered about an image the request named.
	registryCode(registry.NotFound):     http.StatusNotFound,
	registryCode(registry.Invalid):      http.StatusUnprocessableEntity,
	registryCode(registry.NotAllowed):   http.StatusUnprocessableEntity,
	registryCode(registry.Timeout):      http.StatusGatewayTimeout,
	registryCode(registry.Unauthorized): http.StatusBadGateway,
	registryCode(registry.Unreachable):  http.StatusBadGateway,
}

// registryCode is the code of a registry's answer: registry_not_found...
func registryCode(s registry.Status) model.Code { return model.Code("registry_" + string(s)) }

// The API's own codes, beside the domain's.
const (
	codeUpToDate          model.Code = "up_to_date"          // a bump with no newer tag
	codeRegistryChecksOff model.Code = "registry_checks_off" // a registry question on a server without checks
)

// advice is what the API adds to a domain message for a script's author.
var advice = map[model.Code]string{
	model.CodeInvalid:    "; nothing was saved",
	model.CodeUnreadable: "; nothing was changed",
	model.CodeInUse:      "; remove those uses first",
}

// errors is the one place where the API's errors become responses. Details
// of unexpected errors go to the log, never to the client.
func (h *Handler) errors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := next(c); err != nil {
			return WriteError(c, h.log, err)
		}
		return nil
	}
}

// WriteError answers err as the API's JSON error,
// {"error": {"code", "message", "fields": [{"path", "message", "severity"}]}},
// with the status of its code. The server answers its own routes' errors
// with it too for scripts (everything but a browser asking for a page).
func WriteError(c echo.Context, log *slog.Logger, err error) error {
	e := toAPIError(c, log, err)
	if c.Response().Committed {
		return nil
	}
	return c.JSON(e.Status, map[string]*Error{"error": e})
}

func toAPIError(c echo.Context, log *slog.Logger, err error) *Error {
	var (
		ae     *Error
		he     *echo.HTTPError
		maxErr *http.MaxBytesError
		se     *edit.StaleError
	)
	switch {
	case errors.As(err, &ae): // a body made by hand
		if s, ok := statuses[model.Code(ae.Code)]; ok {
			ae.Status = s
		}
		return ae
	case errors.As(err, &maxErr):
		err = model.Errorf(model.CodeTooLarge, "the request body is larger than %d bytes", maxErr.Limit)
	case errors.As(err, &he) && model.CodeOf(err) == model.CodeInternal:
		// Echo's own: no route (404), a method the route lacks (405).
		code := strings.ToLower(strings.ReplaceAll(http.StatusText(he.Code), " ", "_"))
		return &Error{Status: he.Code, Code: code, Message: fmt.Sprint(he.Message)}
	}
	p := model.ProblemOf(err)
	status, ok := statuses[p.Code]
	if !ok {
		log.Error("api request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
		return &Error{Status: http.StatusInternalServerError, Code: string(model.CodeInternal), Message: "internal error; the server log has the details"}
	}
	e := &Error{Status: status, Code: string(p.Code), Message: model.MessageOf(err), Fields: nil}
	if len(p.Findings) > 0 {
		e.Fields = fields(p.Findings)
	}
	if hint := advice[p.Code]; hint != "" && !strings.Contains(e.Message, "nothing was") {
		e.Message += hint
	}
	if errors.As(err, &se) {
		e.Message += fmt.Sprintf("; nothing was saved. Fetch the head, apply your change again and send If-Match: \"%d\"", se.Head)
		e.Head, e.Changes = se.Head, se.Changes
	}
	return e
}

// need refuses a request from a user below the role (auth.Authorize: 401
// for anonymous, 403 for a known user).
func (h *Handler) need(role auth.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u, err := auth.Authorize(c, h.identify, h.edit.Config().Access, role)
			if model.CodeOf(err) == model.CodeHubUnavailable {
				h.log.Error("identifying a request", "err", err)
			}
			if err != nil {
				return err
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
			e.Findings = []model.Finding{{Path: "/" + strings.ReplaceAll(typeErr.Field, ".", "/"), Message: e.Message}}
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
