package model

import (
	"errors"
	"fmt"
)

// Code says what kind of failure an error is. The domain and package edit
// give every error they return a code; each surface (the REST API, the
// pages, the server's own routes) maps codes to statuses in one place, so a
// refusal reads the same wherever it happens. The codes are the "code" of
// the API's JSON errors.
type Code string

// The codes. The comments say what the API and the pages answer.
const (
	CodeInvalid    Code = "invalid"     // 422: the change has errors; Findings say where
	CodeBadRequest Code = "bad_request" // 400: the request itself cannot be read
	CodeNotFound   Code = "not_found"   // 404
	CodeExists     Code = "exists"      // 409: a slug already taken
	CodeInUse      Code = "in_use"      // 409: still referenced
	CodeStale      Code = "stale"       // 412: based on a revision that is no longer the head
	CodeConflict   Code = "conflict"    // 409: other writers kept changing the catalog
	CodeUnreadable Code = "unreadable"  // 409: a stored revision this version cannot read
	CodeTooLarge   Code = "too_large"   // 413

	CodePreconditionRequired Code = "precondition_required" // 428: a whole-document write without If-Match
	CodeUnauthorized         Code = "unauthorized"          // 401: nobody logged in
	CodeForbidden            Code = "forbidden"             // 403: logged in, below the role needed
	CodeInsufficientScope    Code = "insufficient_scope"    // 403: a token without the scopes needed
	CodeCSRF                 Code = "csrf"                  // 403: a cookie write without the CSRF token
	CodeHubUnavailable       Code = "hub_unavailable"       // 503: JupyterHub cannot say who is asking
	CodeDatabaseUnavailable  Code = "database_unavailable"  // 503
	CodeNothingPublished     Code = "nothing_published"     // 503: the feeds before the first publication
	CodePeerUnavailable      Code = "peer_unavailable"      // 502: a peer hubprofiles server cannot be read
	CodeInternal             Code = "internal"              // 500: the details go to the log, never to the client
)

// Problem is the one error type of hubprofiles: a code, a message for
// people and, for a refused change, the findings with their paths (field
// paths into the catalog, or into the document a writer sent). Err is the
// cause, when there is one worth keeping for errors.As (a StaleError with
// what changed, an UnreadableError with the revision).
type Problem struct {
	Code     Code
	Message  string
	Findings []Finding
	Err      error
}

func (p *Problem) Error() string {
	if p.Message == "" && p.Err != nil {
		return p.Err.Error()
	}
	return p.Message
}

func (p *Problem) Unwrap() error { return p.Err }

// Errorf is a problem with a formatted message. A %w in format makes the
// wrapped error its cause.
func Errorf(code Code, format string, args ...any) *Problem {
	err := fmt.Errorf(format, args...)
	return &Problem{Code: code, Message: err.Error(), Err: errors.Unwrap(err)}
}

// Invalid refuses a change for its findings (errors and warnings).
func Invalid(fs []Finding) *Problem {
	n := 0
	for _, f := range fs {
		if f.Severity == Error {
			n++
		}
	}
	return &Problem{Code: CodeInvalid, Message: fmt.Sprintf("the change has %d error(s)", n), Findings: fs}
}

// ProblemOf is the problem err is or wraps; an error without one is
// internal (nil for nil).
func ProblemOf(err error) *Problem {
	if err == nil {
		return nil
	}
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	return &Problem{Code: CodeInternal, Message: "internal error; the server log has the details", Err: err}
}

// CodeOf is the code of err ("" for nil).
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	return ProblemOf(err).Code
}

// The errors of catalog changes that need no details: wrap them with %w
// and the name of what was looked for ("image %q: %w").
var (
	ErrNotFound = &Problem{Code: CodeNotFound, Message: "not found"}
	ErrExists   = &Problem{Code: CodeExists, Message: "already exists"}
)

// MessageOf is what a client may read of err: its whole text (with the
// context it was wrapped in), or for an internal error only that there was
// one.
func MessageOf(err error) string {
	if p := ProblemOf(err); p.Code == CodeInternal {
		return p.Message
	}
	return err.Error()
}

// FindingsOf is the findings of a change refused as invalid, and whether
// err is one.
func FindingsOf(err error) ([]Finding, bool) {
	var p *Problem
	if errors.As(err, &p) && p.Code == CodeInvalid {
		return p.Findings, true
	}
	return nil, false
}
