package usage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Scopes are the least the service's token needs: list:users to page
// through the users, read:servers for their servers with user_options and
// last_activity (stopped ones included). Checked on JupyterHub 3.0 by
// hub_test.go; JupyterHub 5.5 filters the user model the same way.
var Scopes = []string{"list:users", "read:servers"}

// Hub reads servers from the JupyterHub REST API.
type Hub struct {
	// APIURL is JUPYTERHUB_API_URL (…/hub/api), Token the service's
	// JUPYTERHUB_API_TOKEN.
	APIURL, Token string
	// PageSize is how many users one request asks for; the hub caps it
	// at its api_page_max_limit (200 by default).
	PageSize int
	// MaxUsers bounds one refresh: past it the rest are not read, and
	// Servers says so.
	MaxUsers int
	// Client makes the requests; its Timeout bounds each page.
	Client *http.Client
}

// Defaults of Hub.
const (
	DefaultPageSize = 200
	DefaultMaxUsers = 100000
)

// ErrUnreachable wraps every failure to get an answer from the hub.
var ErrUnreachable = errors.New("JupyterHub cannot be reached")

// ScopeError says the token lacks scopes the hub asked for.
type ScopeError struct {
	Missing []string
	Detail  string // what the hub said, if anything
}

func (e *ScopeError) Error() string {
	msg := "the service's token lacks the scope " + strings.Join(e.Missing, " and ") +
		" (give the hubprofiles service a role with " + strings.Join(Scopes, ", ") + ")"
	if e.Detail != "" {
		msg += ": the hub said " + e.Detail
	}
	return msg
}

// Truncated is returned with the servers read when the hub has more than
// MaxUsers users.
type Truncated struct{ Read, Total int }

func (e *Truncated) Error() string {
	return fmt.Sprintf("the hub has %d users; only the first %d were read (usage.maxUsers)", e.Total, e.Read)
}

// page is one answer of GET users with the pagination Accept header.
type page struct {
	Items      []user `json:"items"`
	Pagination *struct {
		Total int             `json:"total"`
		Next  json.RawMessage `json:"next"`
	} `json:"_pagination"`
}

type user struct {
	Name    string             `json:"name"`
	Servers *map[string]server `json:"servers"` // nil: no read:servers
}

type server struct {
	UserOptions  map[string]any `json:"user_options"`
	LastActivity *time.Time     `json:"last_activity"`
	Started      *time.Time     `json:"started"`
	Stopped      *bool          `json:"stopped"` // JupyterHub ≥ 3.0
	Ready        bool           `json:"ready"`
	Pending      *string        `json:"pending"`
}

// paginated is the Accept header that makes the hub answer in pages with
// their total (JupyterHub ≥ 2.0; older hubs answer a plain list).
const paginated = "application/jupyterhub-pagination+json"

// Servers reads every user's servers, running and stopped, a page at a
// time. With more than MaxUsers users it returns the servers of the first
// MaxUsers and a *Truncated error.
func (h *Hub) Servers(ctx context.Context) ([]Server, error) {
	size := h.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	maxUsers := h.MaxUsers
	if maxUsers <= 0 {
		maxUsers = DefaultMaxUsers
	}
	var out []Server
	seen := map[string]bool{} // a user created mid-read shifts the pages: count each once
	for offset := 0; ; {
		p, err := h.page(ctx, offset, min(size, maxUsers-offset))
		if err != nil {
			return nil, err
		}
		for _, u := range p.Items {
			if u.Servers == nil {
				return nil, &ScopeError{Missing: []string{"read:servers"}, Detail: "user models come without their servers"}
			}
			if seen[u.Name] {
				continue
			}
			seen[u.Name] = true
			for name, s := range *u.Servers {
				if sv := s.server(u.Name, name); sv.Running || !sv.LastActivity.IsZero() {
					out = append(out, sv)
				} // else never started: the hub lists every user's default server
			}
		}
		offset += len(p.Items)
		if p.Pagination == nil || len(p.Items) == 0 || offset >= p.Pagination.Total || string(p.Pagination.Next) == "null" {
			return out, nil
		}
		if offset >= maxUsers {
			return out, &Truncated{Read: offset, Total: p.Pagination.Total}
		}
	}
}

func (s server) server(user, name string) Server {
	out := Server{User: user, Name: name, Options: s.UserOptions}
	if s.LastActivity != nil {
		out.LastActivity = *s.LastActivity
	}
	switch {
	case s.Stopped != nil:
		out.Running = !*s.Stopped
	default: // before 3.0 only active servers were listed
		out.Running = s.Ready || s.Pending != nil || s.Started != nil
	}
	return out
}

func (h *Hub) page(ctx context.Context, offset, limit int) (*page, error) {
	q := url.Values{"include_stopped_servers": {"1"}, "offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(limit)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(h.APIURL, "/")+"/users?"+q.Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	req.Header.Set("Authorization", "token "+h.Token)
	req.Header.Set("Accept", paginated)
	client := h.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPage))
	if err != nil {
		return nil, fmt.Errorf("%w: reading users: %v", ErrUnreachable, err)
	}
	switch {
	case resp.StatusCode == http.StatusForbidden:
		return nil, &ScopeError{Missing: []string{"list:users"}, Detail: hubMessage(body, resp.Status)}
	case resp.StatusCode == http.StatusUnauthorized:
		return nil, fmt.Errorf("the hub does not accept the service's token (JUPYTERHUB_API_TOKEN): %s", hubMessage(body, resp.Status))
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%w: GET users: %s", ErrUnreachable, hubMessage(body, resp.Status))
	}
	var p page
	if strings.HasPrefix(strings.TrimSpace(string(body)), "[") { // a hub older than 2.0: one list, no pages
		err = json.Unmarshal(body, &p.Items)
	} else {
		err = json.Unmarshal(body, &p)
	}
	if err != nil {
		return nil, fmt.Errorf("GET users: the hub's answer is not a list of users: %v", err)
	}
	return &p, nil
}

// maxPage bounds one page's body: 200 users with several servers and
// their options fit in far less.
const maxPage = 64 << 20

// hubMessage is the "message" of a hub's JSON error, else its status.
func hubMessage(body []byte, status string) string {
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil && e.Message != "" {
		return status + ": " + e.Message
	}
	return status
}
