package profilelist

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// KubeSpawner 7.1.0 renders its spawn form (templates/form.html) with Jinja2
// without autoescaping, and JupyterHub puts the result in /hub/spawn as is:
// a display text is markup in the hub's own origin, seen by every user,
// admins included. So every text the form shows is checked against what the
// place it lands in can hold safely, and anything else is an error.
//
// The check reads the text with an HTML tokenizer (golang.org/x/net/html,
// the same state machine browsers use), not with patterns: a text passes
// only when every token it produces is plain text or an allowed tag with
// allowed attributes, every tag is complete and every element it opens is
// closed, so that the text cannot change how the form's own markup around it
// is read.

// textPlace is where form.html puts a display text.
type textPlace int

const (
	// inOption: <option>…</option> inside the drop-down's <select> (choice
	// display_name, unlisted_choice.display_name_in_choices). Browsers drop
	// or rearrange tags there, and <select> has its own parsing rules: plain
	// text only.
	inOption textPlace = iota
	// inHeading: <h3>…</h3> (the profile's display_name).
	inHeading
	// inLabel: <label>…</label> (option and unlisted_choice display_name).
	inLabel
	// inParagraph: <p>…</p> (the profile's description); real lists close
	// and reopen that paragraph ("…</p>\n<p>…").
	inParagraph
	// inTitle: the double-quoted title="…" attribute of the free-text
	// field (validation_message). (validation_regex, in pattern="…", is
	// checked by kubespawner.CheckRegex, which refuses a double quote.)
	inTitle
)

// element names the form's element a text sits in, for messages.
func (pl textPlace) element() string {
	switch pl {
	case inOption:
		return "an <option> of the drop-down"
	case inHeading:
		return "the profile's <h3> heading"
	case inLabel:
		return "a <label>"
	case inParagraph:
		return "a <p> paragraph"
	}
	return `the title="…" attribute of the free-text field`
}

// consequence says, for a message, what markup does there.
func (pl textPlace) consequence() string {
	if pl == inTitle {
		return "where a double quote ends the attribute and the rest becomes markup on every user's /hub/spawn page"
	}
	return "as markup on every user's /hub/spawn page"
}

// inlineTags are the tags a heading, a label or a paragraph may hold: inline
// formatting without attributes, line breaks, and links (href only, to an
// http or https address).
var inlineTags = map[string]bool{"b": true, "i": true, "em": true, "strong": true, "code": true, "br": true, "a": true}

// allowedMarkup says, for a message, what a place may hold.
func (pl textPlace) allowedMarkup() string {
	const inline = `<b>, <i>, <em>, <strong>, <code>, <br> and <a href="https://…">`
	switch pl {
	case inTitle:
		return "Write ' or “ ” instead"
	case inOption:
		return "Write plain text (write &lt; for a < that starts a word)"
	case inParagraph:
		return "Write plain text, or only " + strings.Replace(inline, " and ", ", ", 1) + " and <p>…</p> (write &lt; for a < that starts a word)"
	}
	return "Write plain text, or only " + inline + " (write &lt; for a < that starts a word)"
}

// markupProblem returns what in s cannot be placed at pl safely ("" when
// nothing), for instance "<script>" or "the attribute onclick on <b>".
func markupProblem(s string, pl textPlace) string {
	if pl == inTitle {
		// In a double-quoted attribute value only a double quote ends the
		// value; < > ' and character references (even &quot;, which
		// decodes to a quote inside the value) are inert there.
		if strings.Contains(s, `"`) {
			return `a double quote (")`
		}
		return ""
	}
	if !strings.Contains(s, "<") {
		return "" // only text: references and > are inert in element text
	}
	z := html.NewTokenizer(strings.NewReader(s))
	n := nesting{place: pl, para: pl == inParagraph}
	read := 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if err := z.Err(); !errors.Is(err, io.EOF) {
				return fmt.Sprintf("markup that cannot be read (%v)", err)
			}
			break
		}
		raw := string(z.Raw())
		read += len(raw)
		switch tt {
		case html.TextToken:
			continue
		case html.CommentToken, html.DoctypeToken:
			return fmt.Sprintf("a comment or declaration (%s)", short(raw))
		}
		if p := n.tag(z.Token(), raw); p != "" {
			return p
		}
	}
	if read < len(s) {
		// The tokenizer stops at a tag that runs to the end of the text: in
		// the form it would swallow the markup that follows.
		return fmt.Sprintf("an unfinished tag (%s)", short(s[read:]))
	}
	if strings.HasSuffix(s, "<") || strings.HasSuffix(s, "</") {
		return "a < at its very end, which joins the form's next tag"
	}
	return n.end()
}

// nesting follows the elements a text opens, so that it closes exactly what
// it opened and nothing of the form's own.
type nesting struct {
	place textPlace
	open  []string // elements opened and not yet closed, innermost last
	para  bool     // in a paragraph (at first the form's own <p>)
}

func (n *nesting) tag(t html.Token, raw string) string {
	name := t.Data
	allowed := n.place != inOption && (inlineTags[name] || name == "p" && n.place == inParagraph)
	if !allowed {
		return fmt.Sprintf("markup (%s)", short(raw))
	}
	if t.Type == html.EndTagToken {
		return n.close(name, raw)
	}
	for _, a := range t.Attr {
		if name == "a" && a.Key == "href" && a.Namespace == "" {
			if !safeLink(a.Val) {
				return fmt.Sprintf("a link to %q (only http:// and https:// addresses)", a.Val)
			}
			continue
		}
		return fmt.Sprintf("the attribute %s on <%s>", a.Key, name)
	}
	switch name {
	case "br":
		return ""
	case "a":
		if !hasAttr(t, "href") {
			return "an <a> without href"
		}
		for _, o := range n.open {
			if o == "a" {
				return "a link inside a link"
			}
		}
	case "p":
		if len(n.open) > 0 {
			return fmt.Sprintf("<p> inside <%s>", n.open[len(n.open)-1])
		}
		n.para = true // a <p> closes the paragraph that is open, if any
		return ""
	}
	if t.Type == html.SelfClosingTagToken {
		return fmt.Sprintf("%s (HTML ignores the / : write <%s>…</%s>)", short(raw), name, name)
	}
	n.open = append(n.open, name)
	return ""
}

func (n *nesting) close(name, raw string) string {
	if name == "p" && len(n.open) == 0 && n.para {
		n.para = false
		return ""
	}
	if len(n.open) == 0 || n.open[len(n.open)-1] != name {
		return fmt.Sprintf("%s, which closes an element the text did not open", short(raw))
	}
	n.open = n.open[:len(n.open)-1]
	return ""
}

func (n *nesting) end() string {
	if len(n.open) > 0 {
		return fmt.Sprintf("an unclosed <%s>", n.open[len(n.open)-1])
	}
	// A description that ends outside a paragraph ("…</p>") only makes the
	// form's own </p> an empty paragraph.
	return ""
}

func hasAttr(t html.Token, key string) bool {
	for _, a := range t.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// safeLink accepts only absolute http and https addresses with a host, with
// no whitespace or control characters (which browsers strip or skip, so
// "java\tscript:" would run).
func safeLink(href string) bool {
	if strings.IndexFunc(href, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		return false
	}
	lower := strings.ToLower(href)
	if !strings.HasPrefix(lower, "https://") && !strings.HasPrefix(lower, "http://") {
		return false
	}
	u, err := url.Parse(href)
	return err == nil && u.Host != "" && (u.Scheme == "http" || u.Scheme == "https")
}

// short quotes the start of a piece of markup for a message.
func short(s string) string {
	const limit = 60
	if len(s) > limit {
		cut := limit
		for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		return s[:cut] + "…"
	}
	return s
}
