package api_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompactHistoryServesTheSameBytes: a database of the release before
// compact history (store/testdata/v2-awi-ciroh.db), converted by migration 3
// when the server opens it, answers GET api/v1/revisions/N and the export of
// every revision in every format with exactly the bytes that release served
// from it: testdata/v2-history.sha256 holds their SHA-256, recorded from
// that release.
func TestCompactHistoryServesTheSameBytes(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "store", "testdata", "v2-awi-ciroh.db"))
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "hubprofiles.db")
	if err := os.WriteFile(db, data, 0o600); err != nil {
		t.Fatal(err)
	}
	c := newTestServer(t, withDatabase(db))
	if n := c.revisions(); n != 4 {
		t.Fatalf("%d revisions after opening the fixture, want its 4", n)
	}
	f, err := os.Open(filepath.Join("testdata", "v2-history.sha256"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	checked := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		want, name, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			t.Fatalf("malformed line %q", sc.Text())
		}
		var (
			id   int
			kind string
			path string
		)
		if _, err := fmt.Sscanf(name, "revision-%d.json", &id); err == nil {
			path = fmt.Sprintf("api/v1/revisions/%d", id)
		} else if _, err := fmt.Sscanf(strings.Replace(name, ".", " ", 1), "export-%d %s", &id, &kind); err == nil {
			path = fmt.Sprintf("api/v1/export?revision=%d&format=%s", id, kind)
		} else {
			t.Fatalf("unknown entry %q", name)
		}
		sum := sha256.Sum256(c.get(path).Body)
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("GET %s: body has SHA-256 %s, the previous release served %s", path, got, want)
		}
		checked++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if checked != 20 {
		t.Errorf("checked %d answers, want 20 (4 revisions, and 4 export formats of each)", checked)
	}
}
