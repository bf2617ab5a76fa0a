"""No display text can inject markup into KubeSpawner's real spawn form.

KubeSpawner 7.1.0 renders its ``templates/form.html`` with Jinja2 without
autoescaping, and JupyterHub puts the result into /hub/spawn as is (issue 11,
item 1). hubprofiles' validator makes any display text outside a small safe
subset an error. This test checks that claim against the real template:

- every hostile text, put where the form shows it, is an error of the real
  ``hubprofiles validate`` (``$HUBPROFILES_BIN``) at that field's path, and,
  where it would be visible, KubeSpawner's real form rendered from the same
  list does contain foreign markup (so the check below can fail);
- every list that validates clean -- all 313 real lists of the corpus
  (../shared/corpus) and samples of the allowed subset -- renders, through
  KubeSpawner 7.1.0's own code (hub/form_render.py, hub/upstream.py), to a
  form whose elements and attributes are exactly those of the same list with
  every display text replaced by a plain word, plus only the allowed inline
  tags (<b> <i> <em> <strong> <code> <br> <p> and <a href="http(s)://…">) with
  no other attribute; and whose title="…" and pattern="…" values are exactly
  the validation_message and validation_regex.

Run by ``go test ./hub/`` (hub_test.go), or by hand as hub/README.md says.
"""

import copy
import glob
import html
import json
import os
import subprocess
import sys
import tempfile
import unittest
from html.parser import HTMLParser

from hubprofiles_testing import binary

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CORPUS = os.path.join(REPO, "..", "shared", "corpus")

ALLOWED_TAGS = {"b", "i", "em", "strong", "code", "br", "a", "p"}

# A list in which every place of the form holds a display text.
BASE_LIST = [
    {
        "display_name": "Python",
        "slug": "python",
        "description": "Two CPUs",
        "profile_options": {
            "image": {
                "display_name": "Image",
                "choices": {
                    "base": {
                        "display_name": "Base",
                        "default": True,
                        "kubespawner_override": {"image": "quay.io/jupyter/base-notebook:2025-06-02"},
                    }
                },
                "unlisted_choice": {
                    "enabled": True,
                    "display_name": "Other image",
                    "display_name_in_choices": "Other...",
                    "validation_regex": "^.+:.+$",
                    "validation_message": "Must be of form <image-name>:<tag>",
                    "kubespawner_override": {"image": "{value}"},
                },
            }
        },
    }
]

OPT = ("profile_options", "image")
UNL = OPT + ("unlisted_choice",)
# Where the form shows each text, as a path into BASE_LIST[0].
FIELDS = {
    "heading": ("display_name",),
    "paragraph": ("description",),
    "label": OPT + ("display_name",),
    "option": OPT + ("choices", "base", "display_name"),
    "unlisted label": UNL + ("display_name",),
    "unlisted option": UNL + ("display_name_in_choices",),
    "title": UNL + ("validation_message",),
    "pattern": UNL + ("validation_regex",),
}
TEXT_FIELDS = ["heading", "paragraph", "label", "option", "unlisted label", "unlisted option"]
INLINE_FIELDS = ["heading", "paragraph", "label", "unlisted label"]
OPTION_FIELDS = ["option", "unlisted option"]


def pointer(path):
    return "/0/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


def with_text(field, text):
    """BASE_LIST with ``text`` at ``field``; returns (list, JSON pointer)."""
    lst = copy.deepcopy(BASE_LIST)
    path = FIELDS[field]
    node = lst[0]
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = text
    return lst, pointer(path)


def with_slug(slug):
    lst = copy.deepcopy(BASE_LIST)
    lst[0]["slug"] = slug
    return lst, "/0/slug"


def with_option_key(key):
    lst = copy.deepcopy(BASE_LIST)
    lst[0]["profile_options"] = {key: lst[0]["profile_options"]["image"]}
    return lst, pointer(("profile_options", key))


def with_choice_key(key):
    lst = copy.deepcopy(BASE_LIST)
    opt = lst[0]["profile_options"]["image"]
    opt["choices"] = {key: opt["choices"]["base"]}
    return lst, pointer(OPT + ("choices", key))


# (name, [(list, path)], visible): visible says that the rendered form shows
# the attack to an HTML parser (some, such as an unclosed <b> or a trailing
# "<", only change how the form's own markup reads in a browser).
def hostile_cases():
    cases = []

    def add(name, fields, text, visible=True):
        cases.append((name, [with_text(f, text) for f in fields], visible))

    add("script", TEXT_FIELDS, "A <script>alert(1)</script>")
    add("img onerror", TEXT_FIELDS, "<img src=x onerror=alert(1)>")
    add("svg onload", TEXT_FIELDS, "<svg onload=alert(1)>")
    add("iframe", TEXT_FIELDS, '<iframe src="https://evil.example/"></iframe>')
    add("style", TEXT_FIELDS, "<style>form{display:none}</style>")
    add("allowed tag with an event handler", INLINE_FIELDS, "<b onmouseover=alert(1)>A</b>")
    add("allowed tag with a style", INLINE_FIELDS, '<i style="position:fixed;top:0">A</i>')
    add("javascript: link", INLINE_FIELDS, '<a href="javascript:alert(1)">docs</a>')
    add("entity-encoded javascript: link", INLINE_FIELDS, '<a href="&#106;avascript:alert(1)">docs</a>')
    add("tab inside javascript: link", INLINE_FIELDS, '<a href="java&#x09;script:alert(1)">docs</a>')
    add("data: link", INLINE_FIELDS, '<a href="data:text/html,<script>alert(1)</script>">docs</a>')
    add("tag in a drop-down entry", OPTION_FIELDS, "<b>A</b>")
    add("</option></select> break-out", OPTION_FIELDS, "</option></select><img src=x onerror=alert(1)>")
    add("</select> break-out", OPTION_FIELDS, "</select><script>alert(1)</script>")
    add("</textarea> break-out", TEXT_FIELDS, "</textarea><script>alert(1)</script>")
    add("</h3> break-out", ["heading"], "</h3><script>alert(1)</script>")
    add("</label></form> break-out", ["label", "unlisted label"], "</label></div></form><form action=https://evil.example/>")
    add("form input injection", TEXT_FIELDS, '<input name="profile" value="gpu" checked>')
    add("comment", TEXT_FIELDS, "A <!-- hidden -->")
    # Browsers make the rest of the form a comment; Python's html.parser
    # recovers differently, so only the validator's error is checked.
    add("unclosed comment", TEXT_FIELDS, "A <!--", visible=False)
    add("unfinished attribute", INLINE_FIELDS, '<a href="https://example.org/')
    add("quote out of title", ["title"], 'x" onmouseover="alert(1)')
    add("tag out of title", ["title"], '"><script>alert(1)</script>')
    add("quote out of pattern", ["pattern"], '^[a-z]+" autofocus onfocus="alert(1)')
    add("a list printed as Python writes it", ["label", "option", "paragraph"], ["<script>alert(1)</script>"])
    add("a list printed as Python writes it", ["title"], ['x" onmouseover="alert(1)'])
    add("unfinished tag", TEXT_FIELDS, "A <b", visible=False)
    add("unclosed tag", INLINE_FIELDS, "<b>bold for the rest of the form", visible=False)
    add("trailing <", TEXT_FIELDS, "A <", visible=False)
    cases.append(("quote in a slug", [with_slug('a" onmouseover="alert(1)')], True))
    # Inert inside the double-quoted attributes a slug lands in, but refused.
    cases.append(("tag in a slug", [with_slug("a><script>alert(1)</script>")], False))
    cases.append(("quote in an option key", [with_option_key('o" onclick="alert(1)')], True))
    cases.append(("tag in a choice key", [with_choice_key('c"><script>alert(1)</script>')], True))
    return cases


def allowed_samples():
    samples = []
    for f in TEXT_FIELDS:
        for text in ["Python & R", 'Base ("2023.05.18")', "1 < 2 and 3 > 2", "&lt;script&gt; shown as text", "⚠️ GPU"]:
            samples.append(with_text(f, text)[0])
    for f in INLINE_FIELDS:
        for text in [
            "<b>B</b> <i>i</i> <em>e</em> <strong>s</strong> <code>c</code><br>x",
            '<a href="https://example.org/docs?a=1&amp;b=2">the docs</a>',
            # Browsers keep the first of two same-named attributes.
            '<a href="https://example.org" href="javascript:alert(1)">x</a>',
        ]:
            samples.append(with_text(f, text)[0])
    for text in [
        "Provides 1G - 4G of RAM</p>\n<p> ⚠️ Please use this instance only if you know you need it!\n",
        "<p>One</p><p>Two</p>",
    ]:
        samples.append(with_text("paragraph", text)[0])
    for text in [
        "Must be a publicly available docker image, of form <image-name>:<tag>",
        "&quot; onmouseover=alert(1)",
        "' onmouseover='alert(1)",
        "</textarea><script>alert(1)</script>",
    ]:
        samples.append(with_text("title", text)[0])
    samples.append(with_text("pattern", "^[a-z0-9<>]+:[^']+$")[0])
    return samples


def corpus_lists():
    files = sorted(glob.glob(os.path.join(CORPUS, "profile-lists", "*.json")))
    files += sorted(glob.glob(os.path.join(CORPUS, "history", "*", "*.json")))
    if len(files) != 65 + 248:
        raise AssertionError("want the 313 real lists of ../shared/corpus (profile-lists and history), found %d" % len(files))
    out = []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            out.append((os.path.relpath(f, CORPUS), json.load(fh)))
    return out


def validate(lists):
    """Run the real `hubprofiles validate --format json` on lists; returns, per
    list, its findings."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, lst in enumerate(lists):
            p = os.path.join(tmp, "%04d.json" % i)
            with open(p, "w", encoding="utf-8") as fh:
                json.dump(lst, fh)
            paths.append(p)
        res = subprocess.run(
            [binary(), "validate", "--format", "json"] + paths,
            capture_output=True, text=True, timeout=300,
        )
        if res.returncode not in (0, 1):
            raise AssertionError("hubprofiles validate exited %d: %s" % (res.returncode, res.stderr))
        report = json.loads(res.stdout)
    by_file = {f["file"]: f.get("findings") or [] for f in report["files"]}
    return [by_file[p] for p in paths]


def render(lists):
    """KubeSpawner 7.1.0's real form for each list (in a separate process)."""
    res = subprocess.run(
        [sys.executable, os.path.join(HERE, "form_render.py")],
        input=json.dumps(lists), capture_output=True, text=True, timeout=600,
    )
    if res.returncode != 0:
        raise AssertionError("form_render.py failed (%d): %s" % (res.returncode, res.stderr))
    return json.loads(res.stdout)


def errors(findings):
    return [f for f in findings if f["severity"] == "error"]


def plain(lst):
    """The list with every display text a plain word, and every slug and key
    a plain name: what the form's own markup looks like for it."""
    lst = copy.deepcopy(lst)

    def word(d, k):
        if isinstance(d, dict) and d.get(k):
            d[k] = "word"

    for i, p in enumerate(lst if isinstance(lst, list) else []):
        if not isinstance(p, dict):
            continue
        word(p, "display_name")
        word(p, "description")
        if "slug" in p:
            p["slug"] = "p%d" % i
        opts = p.get("profile_options")
        if not isinstance(opts, dict):
            continue
        renamed = {}
        for j, (key, o) in enumerate(opts.items()):
            renamed["o%d" % j] = o
            if not isinstance(o, dict):
                continue
            word(o, "display_name")
            choices = o.get("choices")
            if isinstance(choices, dict):
                new = {}
                for n, c in enumerate(choices.values()):
                    word(c, "display_name")
                    word(c, "description")
                    new["c%d" % n] = c
                o["choices"] = new
            u = o.get("unlisted_choice")
            for k in ("display_name", "display_name_in_choices", "validation_message"):
                word(u, k)
        p["profile_options"] = renamed
    return lst


VOID_TAGS = {"input", "br", "img", "meta", "link", "hr", "wbr", "source", "embed", "area", "base", "col", "track", "param"}


class Markup(HTMLParser):
    """What an HTML parser sees in a form: the sequence of the form's own
    tags (name and attribute names, allowed inline tags left out), the
    allowed inline tags with their attributes and the form element they sit
    in, comments and declarations, and the free-text fields' title and
    pattern values."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.own, self.inline, self.other, self.titles, self.patterns = [], [], [], [], []
        self.open = []  # the form's own elements that are open
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        if tag in ALLOWED_TAGS:
            self.inline.append((tag, attrs, self.open[-1] if self.open else ""))
            return
        self.own.append(("<" + tag, tuple(sorted(k for k, _ in attrs))))
        if tag not in VOID_TAGS:
            self.open.append(tag)
        first = {}
        for k, v in attrs:
            first.setdefault(k, v)  # browsers keep the first
        if tag == "input" and (first.get("data-name") or "").endswith("--unlisted-choice"):
            self.titles.append(first.get("title"))
            self.patterns.append(first.get("pattern"))

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag not in ALLOWED_TAGS:
            self.own.append(("</" + tag,))
            if tag in self.open:
                del self.open[len(self.open) - 1 - self.open[::-1].index(tag):]

    def handle_comment(self, data):
        self.other.append("<!--" + data)

    def handle_decl(self, decl):
        self.other.append("<!" + decl)

    def handle_pi(self, data):
        self.other.append("<?" + data)

    def unknown_decl(self, data):
        self.other.append("<![" + data)


def expected_attribute_values(lst):
    """What title="…" and pattern="…" must hold, in form order, for the
    enabled free-text fields of lst (as a browser decodes the values)."""
    titles, patterns = [], []
    for p in lst:
        for o in (p.get("profile_options") or {}).values():
            u = o.get("unlisted_choice") or {}
            if not u.get("enabled"):
                continue
            msg = u.get("validation_message")
            titles.append(html.unescape("" if msg is None else str(msg)))
            rx = u.get("validation_regex")
            patterns.append(html.unescape(rx) if rx else None)
    return titles, patterns


def foreign_markup(lst, form, baseline):
    """What in form (rendered from lst) is not the form's own markup or the
    allowed subset; [] when nothing."""
    got, want = Markup(form), Markup(baseline)
    problems = []
    if got.own != want.own:
        for i, (g, w) in enumerate(zip(got.own + [None] * len(want.own), want.own + [None] * len(got.own))):
            if g != w:
                problems.append("the form's own markup differs at tag %d: %r, want %r" % (i, g, w))
                break
    for tag, attrs, within in got.inline:
        # The form's own <p> (the description's) sits in a <div>; a text
        # shows inline tags in <h3>, <label> and that <p> (which this
        # parser leaves out, so the <div>), and no tag in a drop-down.
        if within not in ("h3", "label", "div") or tag == "p" and within != "div":
            problems.append("<%s> inside <%s>" % (tag, within))
            continue
        first = {}
        for k, v in attrs:
            first.setdefault(k, v)
        if tag == "a" and set(first) == {"href"} and (first["href"] or "").lower().startswith(("https://", "http://")):
            continue
        if attrs and tag != "a":
            problems.append("<%s> with attributes %r" % (tag, attrs))
        elif tag == "a":
            problems.append("<a> with attributes %r" % (attrs,))
    if got.other:
        problems.append("comments or declarations: %r" % got.other)
    titles, patterns = expected_attribute_values(lst)
    if got.titles != titles:
        problems.append("title values %r, want %r" % (got.titles, titles))
    if got.patterns != patterns:
        problems.append("pattern values %r, want %r" % (got.patterns, patterns))
    return problems


class FormSafety(unittest.TestCase):
    def test_hostile_display_text_is_an_error_and_would_be_markup(self):
        cases = hostile_cases()
        flat = [(name, lst, path, visible) for name, variants, visible in cases for lst, path in variants]
        findings = validate([lst for _, lst, _, _ in flat])
        rendered = render([lst for _, lst, _, _ in flat] + [plain(lst) for _, lst, _, _ in flat])
        forms, baselines = rendered[: len(flat)], rendered[len(flat):]
        for (name, lst, path, visible), fs, form, base in zip(flat, findings, forms, baselines):
            with self.subTest(attack=name, path=path):
                at = [f for f in errors(fs) if f["path"] == path]
                self.assertTrue(at, "hubprofiles validate reports no error at %s; findings: %s" % (path, fs))
                if visible and "html" in form:
                    # Without the validator, the real form would carry it.
                    self.assertIn("html", base, base)
                    self.assertTrue(foreign_markup(lst, form["html"], base["html"]),
                                    "the real form shows nothing foreign for %r" % (lst,))
        self.assertGreater(len(flat), 100)

    def test_clean_lists_render_without_foreign_markup(self):
        named = corpus_lists() + [("allowed sample %d" % i, s) for i, s in enumerate(allowed_samples())]
        findings = validate([lst for _, lst in named])
        clean = []
        for (name, lst), fs in zip(named, findings):
            if errors(fs):
                # The corpus holds three real errors (history/README), none
                # about display text; the samples must all be clean.
                self.assertFalse(name.startswith("allowed sample"), "%s: %s" % (name, errors(fs)))
                self.assertFalse([f for f in errors(fs) if "unescaped" in f["message"]], "%s: %s" % (name, errors(fs)))
                continue
            clean.append((name, lst))
        self.assertGreaterEqual(len(clean), 310 + len(allowed_samples()))
        rendered = render([lst for _, lst in clean] + [plain(lst) for _, lst in clean])
        forms, baselines = rendered[: len(clean)], rendered[len(clean):]
        for (name, lst), form, base in zip(clean, forms, baselines):
            with self.subTest(list=name):
                self.assertIn("html", form, "KubeSpawner cannot render a list that validates clean: %s" % form)
                self.assertIn("html", base, base)
                self.assertEqual(foreign_markup(lst, form["html"], base["html"]), [])


if __name__ == "__main__":
    unittest.main()
