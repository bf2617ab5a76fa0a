package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	hubusage "github.com/jupyterhub/hubprofiles/usage"
)

// runUsage reads the hub's servers once and prints who uses what of a
// catalog: the same figures, matched the same way, as GET api/v1/usage.
func runUsage(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("usage", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var db dbFlags
	db.register(fs)
	apiURL := fs.String("hub-api-url", "", "the hub's REST API, …/hub/api (default: $JUPYTERHUB_API_URL)")
	tokenFile := fs.String("token-file", "", "a file holding a JupyterHub API token with the scopes "+strings.Join(hubusage.Scopes, ", ")+" (default: $JUPYTERHUB_API_TOKEN)")
	revision := &choiceFlag{value: "head", allowed: []string{"head", "live"}}
	fs.Var(revision, "revision", "the catalog to match the servers to: head (the draft) or live (what the hub spawns from)")
	asJSON := fs.Bool("json", false, "print the JSON of GET api/v1/usage instead of a table")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: hubprofiles usage [--revision head|live] [--json] [--hub-api-url URL] [--token-file FILE] [database flags]")
		fmt.Fprintln(e.stderr, "\nReads every user's servers from the hub once and prints, per profile, choice, free-text field and image,")
		fmt.Fprintln(e.stderr, "how many servers run it now, how many users used it in the last 7 and 30 days, and when it was last used.")
		fs.PrintDefaults()
	}
	rest, err := parseFlags(fs, args, e.getenv)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("usage takes no arguments (got %q)", rest[0])}
	}
	hub := hubEnv{apiURL: *apiURL, apiToken: e.getenv("JUPYTERHUB_API_TOKEN")}
	if hub.apiURL == "" {
		hub.apiURL = e.getenv("JUPYTERHUB_API_URL")
	}
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return &exitError{code: 2, msg: fmt.Sprintf("--token-file: %v", err)}
		}
		hub.apiToken = strings.TrimSpace(string(b))
	}
	switch {
	case hub.apiURL == "":
		return &exitError{code: 2, msg: "no hub to read: set JUPYTERHUB_API_URL or --hub-api-url (…/hub/api)"}
	case hub.apiToken == "":
		return &exitError{code: 2, msg: "no token: set JUPYTERHUB_API_TOKEN or --token-file (a token with " + strings.Join(hubusage.Scopes, ", ") + ")"}
	}

	s, ed, err := db.open(ctx, newLogger(env{stderr: e.stderr}, "text"))
	if err != nil {
		return err
	}
	defer s.Close()
	st, err := stateAt(ctx, ed, revision.value, "usage")
	if err != nil {
		return err
	}
	// The watcher serve runs, refreshed once: its warnings speak of pages,
	// the error below says it for a command line.
	w := newUsageWatcher(hub, ed, slog.New(slog.DiscardHandler))
	if err := w.Refresh(ctx); err != nil {
		var scope *hubusage.ScopeError
		if errors.As(err, &scope) {
			msg := fmt.Sprintf("reading %s: the token lacks the scope %s (it needs %s)",
				hub.apiURL, strings.Join(scope.Missing, " and "), strings.Join(hubusage.Scopes, ", "))
			if scope.Detail != "" {
				msg += ": the hub said " + scope.Detail
			}
			return errors.New(msg)
		}
		return fmt.Errorf("reading %s: %w", hub.apiURL, err)
	}
	view := hubusage.ViewOf(ed.Usage(st.Catalog), st.Catalog)
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(view)
	}
	which := "the head"
	if revision.value == "live" {
		which = "the live catalog"
	}
	if st.Revision != nil {
		which += fmt.Sprintf(" (revision %d)", st.Revision.ID)
	}
	return printUsage(e.stdout, view, which)
}

// printUsage writes v as a table, a line per profile, choice, free-text
// field and image.
func printUsage(out io.Writer, v *hubusage.View, which string) error {
	at := "never" // a refresh that worked sets AsOf
	if v.AsOf != nil {
		at = v.AsOf.UTC().Format("2006-01-02 15:04 UTC")
	}
	fmt.Fprintf(out, "Usage of %s, read from the hub at %s: %d server(s) of %d user(s).\n", which, at, v.Servers, v.Users)
	if v.Problem != "" {
		fmt.Fprintf(out, "Note: %s.\n", v.Problem)
	}
	if v.Unmatched > 0 {
		fmt.Fprintf(out, "%d server(s) were started with a profile this catalog does not have (renamed or removed since).\n", v.Unmatched)
	}
	fmt.Fprintln(out)
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WHAT\tRUNNING\tUSERS 7D\tUSERS 30D\tLAST USED\t")
	row := func(what string, c hubusage.Counts, note string) {
		last := "never"
		if c.LastUsed != nil {
			last = c.LastUsed.UTC().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\n", what, c.Running, c.Users7d, c.Users30d, last, note)
	}
	for _, p := range v.Profiles {
		row("profile "+p.Slug, p.Usage, "")
		for _, o := range p.Options {
			for _, ch := range o.Choices {
				row("  "+o.Key+": "+ch.Key, ch.Usage, "")
			}
			if o.FreeText != nil {
				row("  "+o.Key+": (free text)", *o.FreeText, "")
			}
		}
	}
	for _, im := range v.Images {
		note := ""
		if im.RemovalCandidate {
			note = fmt.Sprintf("candidate for removal (unused for %d days)", hubusage.Unused/(24*time.Hour))
		}
		row("image "+im.Slug+" ("+im.Ref+")", im.Usage, note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for line := range strings.Lines(table.String()) { // the last column pads rows without a note
		if _, err := fmt.Fprintln(out, strings.TrimRight(line, " \n")); err != nil {
			return err
		}
	}
	return nil
}
