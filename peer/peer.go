// Package peer reads another hubprofiles server's catalog (a staging hub's,
// say) through that server's REST API, so that this hub can compare with it
// and take changes from it. It only reads: a bounded answer, within a
// timeout, with the token of the infrastructure config; what is taken is
// then checked here like any other edit (package edit).
package peer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jupyterhub/hubprofiles/infra"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

// Timeout bounds one fetch from a peer, all requests included.
const Timeout = 20 * time.Second

// maxAnswer bounds one answer of the peer: a revision carries the catalog
// document and the rendered list, each within the stored limits, with room
// for JSON's escaping of them.
var maxAnswer = 4 * int64(model.DefaultLimits.CatalogBytes)

// Snapshot is a peer's catalog at one revision.
type Snapshot struct {
	Peer     string // the peer's name in the infrastructure config
	Revision int64
	Live     bool // the revision is the one the peer publishes
	Catalog  *model.Catalog
}

// Error is a peer that could not be read: unreachable, refusing the token,
// or answering with something that is not a hubprofiles catalog.
type Error struct {
	Peer string
	URL  string
	Msg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("peer %s (%s): %s", e.Peer, e.URL, e.Msg)
}

// Client reads peers.
type Client struct {
	http *http.Client
}

// New returns a client. Redirects are not followed: a peer URL that
// redirects (to a login page, another host) is a configuration mistake,
// and the token must not travel to wherever it points.
func New() *Client {
	return &Client{http: &http.Client{
		Timeout:       Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// CheckRevision says whether which names a peer revision: live, head, a
// positive number, or "" (live).
func CheckRevision(which string) error {
	switch which {
	case "", "live", "head":
		return nil
	}
	if id, err := strconv.ParseInt(which, 10, 64); err != nil || id <= 0 {
		return fmt.Errorf("the peer's revision must be live, head or a number, not %q", which)
	}
	return nil
}

// FetchNamed is Fetch for the peer the infrastructure config calls name;
// an unknown name is model.ErrNotFound.
func (cl *Client) FetchNamed(ctx context.Context, cfg *infra.Config, name, which string) (*Snapshot, error) {
	p, ok := cfg.Peer(name)
	if !ok {
		known := make([]string, 0, len(cfg.Peers))
		for _, p := range cfg.Peers {
			known = append(known, p.Name)
		}
		return nil, fmt.Errorf("peer %q: the infrastructure config names no such peer (peers: %s): %w", name, strings.Join(known, ", "), model.ErrNotFound)
	}
	return cl.Fetch(ctx, p, which)
}

// Fetch reads the peer's catalog at which: "live" (the published
// revision), "head" (the newest draft) or a revision number.
func (cl *Client) Fetch(ctx context.Context, p infra.Peer, which string) (*Snapshot, error) {
	if err := CheckRevision(which); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	fail := func(format string, args ...any) error {
		return &Error{Peer: p.Name, URL: p.URL, Msg: fmt.Sprintf(format, args...)}
	}
	tok, err := os.ReadFile(p.TokenFile)
	if err != nil {
		return nil, fail("reading its token file: %v", err)
	}
	token := strings.TrimSpace(string(tok))
	if token == "" {
		return nil, fail("its token file %s is empty", p.TokenFile)
	}
	var list struct {
		Live      int64 `json:"live"`
		Revisions []struct {
			ID int64 `json:"id"`
		} `json:"revisions"`
	}
	if err := cl.get(ctx, p, token, "api/v1/revisions?limit=1", &list); err != nil {
		return nil, err
	}
	var id int64
	switch which {
	case "live", "":
		if id = list.Live; id == 0 {
			return nil, fail("nothing is published there yet; compare with its head instead")
		}
	case "head":
		if len(list.Revisions) == 0 {
			return nil, fail("it has no revision yet")
		}
		id = list.Revisions[0].ID
	default:
		id, _ = strconv.ParseInt(which, 10, 64) // CheckRevision read it
	}
	var rev struct {
		ID      int64           `json:"id"`
		Catalog json.RawMessage `json:"catalog"`
	}
	if err := cl.get(ctx, p, token, "api/v1/revisions/"+strconv.FormatInt(id, 10), &rev); err != nil {
		return nil, err
	}
	if rev.ID != id || len(rev.Catalog) == 0 {
		return nil, fail("revision %d came back without its catalog", id)
	}
	src, err := profilelist.Parse(rev.Catalog, profilelist.DefaultLimits)
	if err != nil {
		return nil, fail("revision %d: %v", id, err)
	}
	if src.Document == nil {
		return nil, fail("revision %d holds a %s, not a hubprofiles catalog", id, src.Format)
	}
	return &Snapshot{Peer: p.Name, Revision: id, Live: id == list.Live, Catalog: src.Document}, nil
}

// get reads one JSON answer of the peer's API into v.
func (cl *Client) get(ctx context.Context, p infra.Peer, token, path string, v any) error {
	fail := func(format string, args ...any) error {
		return &Error{Peer: p.Name, URL: p.URL, Msg: fmt.Sprintf(format, args...)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+path, nil)
	if err != nil {
		return fail("%v", err)
	}
	req.Header.Set("Authorization", "token "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := cl.http.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fail("no answer within %s", Timeout)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is in the message already
		}
		return fail("unreachable: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return fail("reading GET %s: %v", path, err)
	}
	if int64(len(body)) > maxAnswer {
		return fail("GET %s answered with more than %d bytes", path, maxAnswer)
	}
	if resp.StatusCode != http.StatusOK {
		return fail("GET %s answered %s%s", path, resp.Status, hint(resp.StatusCode, body))
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fail("GET %s did not answer with hubprofiles' JSON: %v", path, err)
	}
	return nil
}

// hint says what a refusal usually means, with the peer's own message.
func hint(status int, body []byte) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	msg := ""
	if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
		msg = ": " + e.Error.Message
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return msg + " (the token needs the peer service's access:services scope, and its owner must be a viewer there)"
	case status >= 300 && status < 400:
		return " (a redirect: is the URL the peer's service prefix, such as https://staging.example.org/services/hubprofiles/?)"
	}
	return msg
}
