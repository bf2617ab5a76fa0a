package profilelist

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// The form.html markup around each place, reduced to what decides how a text
// parses, with a sentinel after it that a text must not swallow or move.
var formAround = map[textPlace][2]string{
	inHeading:   {`<div><h3>`, `</h3></div><p id="after"></p>`},
	inLabel:     {`<div><label for="x">`, `</label><select name="s"><option value="a">A</option></select></div><p id="after"></p>`},
	inParagraph: {`<div><p>`, `</p><div class="next"></div></div><p id="after"></p>`},
	inOption:    {`<div><select name="s"><option value="a">`, `</option><option value="b">B</option></select></div><p id="after"></p>`},
	inTitle:     {`<div><input data-name="x" title="`, `" class="c"></div><p id="after"></p>`},
}

// The form's own elements and attributes in formAround (html, head and body
// come from the parser).
var formOwn = map[string]bool{"html": true, "head": true, "body": true, "div": true, "h3": true, "label": true, "p": true, "select": true, "option": true, "input": true}

// FuzzMarkupAccepted: whatever markupProblem accepts for a place parses, with
// x/net/html's HTML5 tree builder (the algorithm browsers run), inside the
// form's markup into nothing but the form's own elements and the allowed
// inline ones, with no attribute beyond the form's own and an http(s) href
// on <a>, and leaves the markup after it where it was. `go test` runs the
// seeds; `go test -fuzz FuzzMarkupAccepted ./profilelist` explores.
func FuzzMarkupAccepted(f *testing.F) {
	for _, texts := range allowedMarkup {
		for _, s := range texts {
			f.Add(s)
		}
	}
	for _, s := range []string{
		"A <script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<b onclick=x>A</b>", `<a href="javascript:x">a</a>`,
		"</option></select><script>x</script>", `x" onmouseover="alert(1)`, "A <!--", "<b>open", "A <", "</p><p>x</p><p>",
		`<a href="https://x"><b>y</a></b>`, "<table><td>x", "<math><mi>x", "</h3>x<h3>", "<p>x", "&lt;b&gt;", "<br/><BR>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for pl, around := range formAround {
			if markupProblem(s, pl) != "" {
				continue
			}
			if problem := parsedProblem(around[0]+s+around[1], pl); problem != "" {
				t.Errorf("%q accepted in %s, but a browser would read %s", s, pl.element(), problem)
			}
		}
	})
}

// parsedProblem parses doc as a browser would and says what in it is not the
// form's own markup or the allowed subset ("" when nothing).
func parsedProblem(doc string, pl textPlace) string {
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		return "an unparsable document: " + err.Error()
	}
	var problem string
	var walk func(n *html.Node, in string)
	walk = func(n *html.Node, in string) {
		if problem != "" {
			return
		}
		switch n.Type {
		case html.CommentNode, html.DoctypeNode:
			problem = fmt.Sprintf("a comment or doctype %q", n.Data)
			return
		case html.ElementNode:
			if n.Namespace != "" {
				problem = fmt.Sprintf("a <%s> element in %s", n.Data, n.Namespace)
				return
			}
			if p := elementProblem(n, in, pl); p != "" {
				problem = p
				return
			}
			if formOwn[n.Data] {
				in = n.Data
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, in)
		}
	}
	walk(root, "")
	if problem != "" {
		return problem
	}
	// The sentinel must still be a child of <body>, after the form's <div>.
	body := findElement(root, "body")
	last := body.LastChild
	for last != nil && last.Type == html.TextNode {
		last = last.PrevSibling
	}
	if last == nil || last.Data != "p" || attr(last, "id") != "after" {
		return "markup that moved or swallowed what follows it in the form"
	}
	return ""
}

func elementProblem(n *html.Node, in string, pl textPlace) string {
	allowedAttrs := map[string]bool{}
	switch {
	case n.Data == "a" && inlineTags["a"] && pl != inOption && pl != inTitle:
		allowedAttrs["href"] = true
		if !safeLink(attr(n, "href")) {
			return fmt.Sprintf("a link to %q", attr(n, "href"))
		}
	case inlineTags[n.Data] && pl != inOption && pl != inTitle:
	case n.Data == "p" && (pl == inParagraph || attr(n, "id") == "after"):
		allowedAttrs["id"] = true
	case formOwn[n.Data]:
		for _, a := range []string{"for", "name", "value", "data-name", "class", "title"} {
			allowedAttrs[a] = true
		}
	default:
		return fmt.Sprintf("a <%s> element", n.Data)
	}
	if inlineTags[n.Data] && in != "" && !map[string]bool{"h3": true, "label": true, "p": true, "div": true}[in] {
		return fmt.Sprintf("a <%s> inside <%s>", n.Data, in)
	}
	for _, a := range n.Attr {
		if !allowedAttrs[a.Key] || a.Namespace != "" {
			return fmt.Sprintf("the attribute %s on <%s>", a.Key, n.Data)
		}
	}
	if n.Data == "input" && attr(n, "class") != "c" {
		// The attribute after title="…" was swallowed or replaced.
		return fmt.Sprintf("an <input> with attributes %v", n.Attr)
	}
	return ""
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func findElement(n *html.Node, name string) *html.Node {
	if n.Type == html.ElementNode && n.Data == name {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := findElement(c, name); f != nil {
			return f
		}
	}
	return nil
}
