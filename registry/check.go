package registry

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/regclient/regclient"
	"github.com/regclient/regclient/types/errs"
	"github.com/regclient/regclient/types/ref"
)

// Error is a failed registry call other than a check (Tags), with the
// same outcomes and messages as a check.
type Error struct {
	Status  Status
	Message string
	Missing string // for NotFound: "repository"
	Err     error  // from regclient; nil for Invalid and NotAllowed
}

// Error returns the message for a hub admin.
func (e *Error) Error() string { return e.Message }

// Unwrap returns regclient's error.
func (e *Error) Unwrap() error { return e.Err }

// ask asks the registry about r. keep says whether the result is about the
// image, and so worth caching: not when the check never got a slot, nor
// when the caller left before the registry answered.
func (c *Checker) ask(ctx context.Context, raw string, r ref.Ref, deadline time.Time) (res Result, keep bool) {
	cctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	select {
	case c.slots <- struct{}{}:
		defer func() { <-c.slots }()
	case <-cctx.Done():
	}
	// A slot freed at the deadline can be taken before this context's own
	// timer fires; a check with (almost) no time left is not started.
	if cctx.Err() != nil || time.Until(deadline) < c.timeout/20 {
		msg := fmt.Sprintf("not checked: other registry checks (at most %d run at once) took all of the %s allowed", cap(c.slots), c.timeout)
		if ctx.Err() != nil {
			msg = fmt.Sprintf("the check of %s stopped before it started (%v)", raw, ctx.Err())
		}
		return Result{Ref: raw, Status: Timeout, Message: msg, CheckedAt: now()}, false
	}
	res = c.query(cctx, r)
	res.Ref, res.CheckedAt = raw, now()
	keep = true
	if ctx.Err() != nil && (res.Status == Timeout || res.Status == Unreachable) {
		res.Status = Timeout
		res.Message = fmt.Sprintf("the check of %s stopped before %s answered (%v)", raw, r.Registry, ctx.Err())
		keep = false
	}
	return res, keep
}

// query does the requests of one check: a manifest HEAD, and when that
// finds nothing, a tag list to tell a missing tag from a missing
// repository (a HEAD response has no body to say which).
func (c *Checker) query(ctx context.Context, r ref.Ref) Result {
	// For a tag, fall back to a GET when the HEAD response has no digest
	// header. Not for a digest: regclient keeps what it GETs by digest and
	// answers later HEADs of that digest from memory, so Recheck would not
	// ask the registry.
	var opts []regclient.ManifestOpts
	if r.Digest == "" {
		opts = append(opts, regclient.WithManifestRequireDigest())
	}
	m, err := c.rc.ManifestHead(ctx, r, opts...)
	if err == nil {
		d := m.GetDescriptor().Digest.String()
		if d == "" {
			d = r.Digest
		}
		return Result{Status: Exists, Digest: d, Message: fmt.Sprintf("%s exists (%s)", r.CommonName(), shortDigest(d))}
	}
	st, msg := c.classify(ctx, r, err)
	if st != NotFound {
		return Result{Status: st, Message: msg}
	}
	repo := r.Registry + "/" + r.Repository
	missing, what := "tag", "tag "+r.Tag
	if r.Digest != "" {
		missing, what = "digest", "digest "+r.Digest
	}
	tl, err := c.rc.TagList(ctx, r)
	if err != nil {
		st, msg := c.classify(ctx, r, err)
		if st == NotFound {
			return Result{Status: NotFound, Missing: "repository", Message: repoNotFound(repo)}
		}
		return Result{Status: NotFound, Message: fmt.Sprintf("%s not found in %s; whether the repository exists is unknown, as listing its tags failed: %s", what, repo, msg)}
	}
	tags, err := tl.GetTags()
	if err != nil || len(tags) == 0 {
		return Result{Status: NotFound, Missing: missing, Message: fmt.Sprintf("%s not found in %s; the repository exists but lists no tags", what, repo)}
	}
	return Result{Status: NotFound, Missing: missing, Message: fmt.Sprintf("%s not found in %s; the repository exists (newest tags: %s)", what, repo, tagSample(tags, 5))}
}

func repoNotFound(repo string) string {
	return fmt.Sprintf("repository %s not found; check its name", repo)
}

// tagSample lists the first n tags in picker order.
func tagSample(tags []string, n int) string {
	tags = sortTags(slices.Clone(tags))
	if len(tags) <= n {
		return strings.Join(tags, ", ")
	}
	return fmt.Sprintf("%s, and %d more", strings.Join(tags[:n], ", "), len(tags)-n)
}

func shortDigest(d string) string {
	if algo, hex, ok := strings.Cut(d, ":"); ok && len(hex) > 12 {
		return algo + ":" + hex[:12] + "…"
	}
	return d
}

// classify maps an error from regclient to an outcome and a message. The
// order matters: regclient's unauthorized wraps its HTTP status error, a
// context deadline is a net.Error, and so is every error of net/http's
// client (*url.Error).
func (c *Checker) classify(ctx context.Context, r ref.Ref, err error) (Status, string) {
	host := r.Registry
	repo := r.Registry + "/" + r.Repository
	var netErr net.Error
	if ae, ok := isAddressError(err); ok {
		return NotAllowed, ae.Error()
	}
	switch {
	case errors.Is(err, errs.ErrInvalidReference):
		return Invalid, fmt.Sprintf("%s is not a valid image reference: %v", r.CommonName(), err)
	case errors.Is(err, errs.ErrNotFound):
		return NotFound, fmt.Sprintf("%s not found", r.CommonName())
	case errors.Is(err, errs.ErrHTTPUnauthorized):
		if c.creds[normalizeHost(host)] {
			return Unauthorized, fmt.Sprintf("%s refused access to %s with the credentials from the docker config: they are wrong, or do not grant access to this repository", host, repo)
		}
		return Unauthorized, fmt.Sprintf("%s refused access to %s: the repository is private (add credentials for %s to the docker config) or does not exist", host, repo, host)
	// regclient returns its own ErrCanceled when the context ends during a
	// backoff, and the context's error when it ends between requests.
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled), errors.Is(err, errs.ErrCanceled), ctx.Err() != nil:
		return Timeout, fmt.Sprintf("%s did not answer within %s", host, c.timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		return Unreachable, fmt.Sprintf("cannot connect to %s: connection refused; is the registry running, and are its host name and port right?", host)
	case errors.As(err, &netErr):
		if netErr.Timeout() {
			return Timeout, fmt.Sprintf("%s did not answer within %s", host, c.timeout)
		}
		return Unreachable, netMessage(host, err)
	case errors.Is(err, errs.ErrHTTPRateLimit):
		return Unreachable, fmt.Sprintf("%s is rate-limiting requests (HTTP 429); try again later", host)
	case errors.Is(err, errs.ErrHTTPStatus):
		return Unreachable, fmt.Sprintf("%s answered with an error (%s); try again later, or ask whoever runs it", host, httpStatus(err))
	}
	return Unreachable, fmt.Sprintf("cannot check %s: %v", r.CommonName(), err)
}

// netMessage explains a connection failure: DNS, TLS, HTTP spoken to an
// HTTPS client, or whatever else the network said.
func netMessage(host string, err error) string {
	var dnsErr *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("cannot find %s: DNS lookup failed (%s); check the host name", host, dnsErr.Err)
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return fmt.Sprintf("%s speaks plain HTTP, not HTTPS; if it is an on-premise registry without TLS, mark it insecure in the infrastructure config", host)
	case errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalid):
		return fmt.Sprintf("the TLS certificate of %s is not trusted: %s", host, cause(err))
	}
	return fmt.Sprintf("cannot connect to %s: %s", host, cause(err))
}

// cause is the network's own words, without the URL and regclient's
// wrapping around them.
func cause(err error) string {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		return opErr.Err.Error()
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err.Error()
	}
	return err.Error()
}

// httpStatus is the "Bad Gateway [http 502]" part of a regclient error.
func httpStatus(err error) string {
	s := err.Error()
	if i := strings.Index(s, errs.ErrHTTPStatus.Error()); i >= 0 {
		s = strings.TrimPrefix(s[i+len(errs.ErrHTTPStatus.Error()):], ": ")
	}
	if i := strings.Index(s, "]"); i >= 0 {
		s = s[:i+1]
	}
	return s
}

// Tags lists the tags of ref's repository (ref's own tag does not matter),
// sorted for a picker: versioned tags newest first, grouped by prefix, then
// the rest ("latest") in natural order. Errors are *Error.
func (c *Checker) Tags(ctx context.Context, ref string) ([]string, error) {
	r, res, ok := c.prepare(ref)
	if !ok {
		return nil, &Error{Status: res.Status, Message: res.Message}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	tl, err := c.rc.TagList(ctx, r)
	if err == nil {
		var tags []string
		if tags, err = tl.GetTags(); err == nil {
			return sortTags(slices.Clone(tags)), nil
		}
	}
	st, msg := c.classify(ctx, r, err)
	e := &Error{Status: st, Message: msg, Err: err}
	if st == NotFound {
		e.Missing, e.Message = "repository", repoNotFound(r.Registry+"/"+r.Repository)
	}
	return nil, e
}
